import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client'

// prom-client directly rather than fastify-metrics: that plugin serves /metrics from the app's
// own router (so behind Nginx, through the app's hooks and rate limits), keeps no request
// counter and uses prom-client's global registry. What we need is two hooks and a listener.

/** A registry of the service's own: Node's process metrics, every series labelled `service`. */
export function createMetricsRegistry (service: string): Registry {
  const registry = new Registry()
  registry.setDefaultLabels({ service })
  collectDefaultMetrics({ register: registry })
  return registry
}

export interface MetricsAddress {
  host: string
  /** 0 picks a free port (tests); the listener's `url` says which. */
  port: number
}

export interface MetricsListener {
  /** Where Prometheus scrapes, e.g. `http://127.0.0.1:9110/metrics`. */
  url: string
  close: () => Promise<void>
}

/**
 * Serves `GET /metrics` on a listener of its own, apart from the API: the port is never
 * published through Nginx, so internal figures stay internal.
 */
export async function serveMetrics (registry: Registry, { host, port }: MetricsAddress): Promise<MetricsListener> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://metrics').pathname
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at GET /metrics\n')
      return
    }
    registry.metrics().then(
      (body) => response.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (err: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics collection failed: ${String(err)}\n`)
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const bound = server.address() as AddressInfo
  const urlHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address
  return {
    url: `http://${urlHost}:${bound.port}/metrics`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      // A scraper's keep-alive connection would otherwise hold the close open.
      server.closeAllConnections()
      await closed
    }
  }
}

export interface HttpMetricsOptions {
  registry: Registry
}

/**
 * Counts and times every request by method, route pattern (`/users/:id`, never the raw URL,
 * so ids and query strings do not explode the series count) and status code.
 */
export const httpMetrics = fp(async function httpMetrics (fastify: FastifyInstance, { registry }: HttpMetricsOptions) {
  const labelNames = ['method', 'route', 'status'] as const
  const requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests answered', labelNames, registers: [registry] })
  const duration = new Histogram({ name: 'http_request_duration_seconds', help: 'Time to answer an HTTP request', labelNames, registers: [registry] })
  fastify.addHook('onResponse', async (request, reply) => {
    // Requests no route matched (404s, probes) share one series.
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }
    requests.inc(labels)
    duration.observe(labels, reply.elapsedTime / 1000)
  })
}, { name: 'http-metrics', fastify: '5.x' })

export interface ServiceMetricsOptions extends MetricsAddress {
  /** The `service` label on every series, e.g. `auth-api` or `mailer`. */
  service: string
}

/** What a service adds its own metrics to. */
export interface ServiceMetrics {
  readonly registry: Registry
  /** The scrape URL; known once the app is ready. */
  readonly url: string
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ServiceMetrics
  }
}

/**
 * Everything a service needs for Prometheus: the registry (decorated as `fastify.metrics`),
 * HTTP request metrics, and the metrics listener, opened when the app is ready and closed
 * with it.
 */
export const serviceMetrics = fp(async function serviceMetrics (fastify: FastifyInstance, options: ServiceMetricsOptions) {
  const registry = createMetricsRegistry(options.service)
  let listener: MetricsListener | undefined
  fastify.decorate('metrics', {
    registry,
    get url () {
      if (listener === undefined) throw new Error('the metrics listener opens when the app is ready')
      return listener.url
    }
  })
  await fastify.register(httpMetrics, { registry })
  fastify.addHook('onReady', async () => {
    listener = await serveMetrics(registry, { host: options.host, port: options.port })
  })
  fastify.addHook('onClose', async () => await listener?.close())
}, { name: 'service-metrics', fastify: '5.x' })
