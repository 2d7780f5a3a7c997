import { hostname } from 'node:os'
import type { FastifyInstance } from 'fastify'
import { healthRoutes, requestLogging, serviceMetrics } from '@latchkey/shared'
import type { MailerConfig } from './config.js'
import deliveryLog from './delivery/delivery-log.js'
import mailEvents from './mail-events/mail-events.js'
import smtp from './mail/smtp.js'

export type AppOptions = MailerConfig

/** The whole mailer as one plugin: metrics, the delivery log and SMTP first, then the consumer that uses them. */
export default async function app (fastify: FastifyInstance, config: AppOptions): Promise<void> {
  await fastify.register(requestLogging)
  await fastify.register(serviceMetrics, { service: 'mailer', host: config.METRICS_HOST, port: config.METRICS_PORT })
  await fastify.register(deliveryLog, {
    mongoUrl: config.MONGO_URL,
    leaseMs: config.DELIVERY_LEASE_MS,
    retentionMs: config.DELIVERY_RETENTION_HOURS * 3_600_000,
    sweepIntervalMs: config.DELIVERY_SWEEP_INTERVAL_MS
  })
  await fastify.register(smtp, { url: config.SMTP_URL, from: config.MAIL_FROM })
  await fastify.register(mailEvents, {
    amqpUrl: config.AMQP_URL,
    exchange: config.EVENTS_EXCHANGE,
    mailQueue: config.MAIL_QUEUE,
    prefetch: config.PREFETCH,
    retry: {
      maxAttempts: config.MAX_DELIVERY_ATTEMPTS,
      baseDelayMs: config.RETRY_BASE_DELAY_MS,
      maxDelayMs: config.RETRY_MAX_DELAY_MS
    }
  })
  // The pod or machine: the mailer has no replica id of its own.
  await fastify.register(healthRoutes, {
    service: 'mailer',
    instance: hostname(),
    dependencies: { broker: () => fastify.mailEvents.connected, database: fastify.isDatabaseUp, smtp: async () => await fastify.smtp.isReachable() }
  })
}
