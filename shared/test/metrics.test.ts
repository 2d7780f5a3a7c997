import t from 'tap'
import Fastify from 'fastify'
import { Counter, Registry } from 'prom-client'
import { serveMetrics, serviceMetrics } from '../src/metrics.js'
import { parseSamples, sampleValue, type MetricSample } from '../test-support/index.js'

const valueOf = sampleValue

async function scrape (url: string): Promise<{ status: number, contentType: string | null, samples: MetricSample[] }> {
  const response = await fetch(url)
  const text = await response.text()
  return { status: response.status, contentType: response.headers.get('content-type'), samples: response.ok ? parseSamples(text) : [] }
}

t.test('serviceMetrics counts and times requests by route pattern and serves them on its own listener', async (t) => {
  const app = Fastify()
  await app.register(serviceMetrics, { service: 'test-svc', host: '127.0.0.1', port: 0 })
  app.get('/users/:id', async () => ({ ok: true }))
  app.post('/users/:id', async (_request, reply) => await reply.code(422).send({ status: 'error' }))
  await app.ready()
  t.teardown(async () => await app.close())

  await app.inject({ method: 'GET', url: '/users/1' })
  await app.inject({ method: 'GET', url: '/users/2?x=1' })
  await app.inject({ method: 'POST', url: '/users/3' })
  await app.inject({ method: 'GET', url: '/nowhere/4' })

  t.match(app.metrics.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
  const { status, contentType, samples } = await scrape(app.metrics.url)
  t.equal(status, 200)
  t.match(contentType, /^text\/plain; version=0\.0\.4/)

  const getUser = { method: 'GET', route: '/users/:id', status: '200', service: 'test-svc' }
  t.equal(valueOf(samples, 'http_requests_total', getUser), 2, 'two GETs on one route, whatever the id and query')
  t.equal(valueOf(samples, 'http_requests_total', { method: 'POST', route: '/users/:id', status: '422' }), 1)
  t.equal(valueOf(samples, 'http_requests_total', { method: 'GET', route: 'unmatched', status: '404' }), 1, 'unrouted requests share one series')
  t.equal(valueOf(samples, 'http_request_duration_seconds_count', getUser), 2)
  t.ok(valueOf(samples, 'http_request_duration_seconds_sum', getUser)! > 0, 'durations are recorded')
  t.equal(valueOf(samples, 'http_request_duration_seconds_bucket', { ...getUser, le: '+Inf' }), 2)
  t.notOk(samples.some((sample) => /\/users\/\d/.test(sample.labels.route ?? '')), 'never a raw URL as a label')

  t.ok(valueOf(samples, 'process_cpu_user_seconds_total', { service: 'test-svc' })! > 0, 'default process metrics, labelled')
  t.ok(samples.every((sample) => sample.labels.service === 'test-svc'), 'every series carries the service label')

  const other = await fetch(new URL('/other', app.metrics.url))
  t.equal(other.status, 404, 'only /metrics is served')
  await other.text()
  t.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 404, 'the API itself does not serve metrics')
})

t.test('the listener closes with the app, even with a scraper connection kept alive', async (t) => {
  const app = Fastify()
  await app.register(serviceMetrics, { service: 'closing', host: '127.0.0.1', port: 0 })
  t.throws(() => app.metrics.url, /when the app is ready/, 'no URL before the listener is open')
  await app.ready()
  const { url } = app.metrics
  t.equal((await scrape(url)).status, 200)
  await app.close()
  await t.rejects(fetch(url), 'nothing listens after close')
})

t.test('serveMetrics serves any registry, and a port in use is an error', async (t) => {
  const registry = new Registry()
  const jobs = new Counter({ name: 'jobs_total', help: 'jobs', registers: [registry] })
  jobs.inc(3)
  const listener = await serveMetrics(registry, { host: '127.0.0.1', port: 0 })
  t.teardown(listener.close)
  t.equal(valueOf((await scrape(listener.url)).samples, 'jobs_total', {}), 3)
  const port = Number(new URL(listener.url).port)
  await t.rejects(serveMetrics(registry, { host: '127.0.0.1', port }), { code: 'EADDRINUSE' })
})
