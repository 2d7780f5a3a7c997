import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, Gauge, Histogram } from 'prom-client'
import { serviceMetrics } from '@latchkey/shared'

declare module 'fastify' {
  interface FastifyInstance {
    authMetrics: AuthMetrics
  }
}

/** The auth-api's own series, beside the request counts and latencies every service has. */
export interface AuthMetrics {
  passwordHashing: Histogram<'operation'>
  signIns: Counter<'result'>
  lockouts: Counter
  eventsPublished: Counter<'type'>
  publishFailures: Counter<'reason'>
  eventsParked: Counter<'type'>
}

export interface AuthMetricsOptions {
  host: string
  port: number
}

async function authMetrics (fastify: FastifyInstance, { host, port }: AuthMetricsOptions): Promise<void> {
  await fastify.register(serviceMetrics, { service: 'auth-api', host, port })
  const registers = [fastify.metrics.registry]
  fastify.decorate('authMetrics', {
    passwordHashing: new Histogram({
      name: 'auth_password_hash_seconds',
      help: 'argon2id time per password hashed or verified',
      labelNames: ['operation'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers
    }),
    signIns: new Counter({ name: 'auth_sign_ins_total', help: 'Password proofs (login, Basic auth, password confirmation) by result', labelNames: ['result'], registers }),
    lockouts: new Counter({ name: 'auth_lockouts_total', help: 'Attempts refused because the address was locked', registers }),
    eventsPublished: new Counter({ name: 'auth_outbox_published_total', help: 'Events the broker confirmed, by type', labelNames: ['type'], registers }),
    publishFailures: new Counter({ name: 'auth_outbox_publish_failures_total', help: 'Outbox publications that failed and will be retried', labelNames: ['reason'], registers }),
    eventsParked: new Counter({ name: 'auth_outbox_parked_total', help: 'Events the broker client refused for their content, set aside (outboxParked) instead of blocking the outbox', labelNames: ['type'], registers })
  })
}

/**
 * Outbox backlog, read from the database when Prometheus scrapes: every replica reports the same
 * shared figure (take the max across replicas).
 */
export function observeOutboxBacklog (fastify: FastifyInstance): void {
  const { registry } = fastify.metrics
  registry.registerMetric(new Gauge({
    name: 'auth_outbox_pending_accounts',
    help: 'Accounts with events not yet published',
    registers: [],
    async collect () { this.set(await fastify.accounts.pendingOutboxes()) }
  }))
  registry.registerMetric(new Gauge({
    name: 'auth_outbox_oldest_pending_seconds',
    help: 'Age of the oldest unpublished event (0 when none)',
    registers: [],
    async collect () {
      const oldest = await fastify.accounts.oldestPendingEvent()
      this.set(oldest ? (Date.now() - oldest.getTime()) / 1000 : 0)
    }
  }))
}

export default fp(authMetrics, { name: 'auth-metrics' })
