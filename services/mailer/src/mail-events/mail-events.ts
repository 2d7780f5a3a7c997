import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { BrokerLink } from '@latchkey/shared'
import { Gauge } from 'prom-client'
import { DeliveryMetrics } from '../delivery/delivery-metrics.js'
import { MailEventConsumer, type MailEventStats } from './mail-event-consumer.js'
import type { RetryPolicy } from './retry-policy.js'
import { queueNames, type QueueNames } from './topology.js'

export interface MailEventsOptions {
  amqpUrl: string
  exchange: string
  mailQueue: string
  prefetch: number
  retry: RetryPolicy
}

/** What the rest of the app (readiness, tests) may know about the consumer. */
export interface MailEvents {
  readonly queues: QueueNames
  readonly stats: MailEventStats
  /** Connected, topology declared and consuming. */
  readonly connected: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    mailEvents: MailEvents
  }
}

async function mailEvents (fastify: FastifyInstance, options: MailEventsOptions): Promise<void> {
  const log = fastify.log.child({ component: 'mail-events' })
  const queues = queueNames(options.mailQueue)
  const consumer = new MailEventConsumer({
    exchange: options.exchange,
    queues,
    prefetch: options.prefetch,
    retry: options.retry,
    deliveryDeps: { deliveries: fastify.deliveries, smtp: fastify.smtp, metrics: new DeliveryMetrics(fastify.metrics.registry), now: () => new Date() },
    log
  })
  const broker = new BrokerLink({ url: options.amqpUrl, connectionName: 'mailer', log, setup: consumer.attach })
  const consumerConnected = new Gauge({
    name: 'mailer_consumer_connected',
    help: '1 while the mailer is connected to RabbitMQ and consuming, else 0',
    registers: [],
    collect () { this.set(broker.connected ? 1 : 0) }
  })
  fastify.metrics.registry.registerMetric(consumerConnected)

  fastify.decorate('mailEvents', {
    queues,
    stats: consumer.stats,
    get connected () { return broker.connected }
  })

  // preClose, not onClose: in-flight mails still need MongoDB and SMTP, which close in onClose.
  fastify.addHook('preClose', async () => {
    await consumer.stop()
    await broker.close()
  })
  // Last, so that the hook above exists even if the first connection attempt is still pending.
  await broker.start()
}

export default fp(mailEvents, { name: 'mail-events', dependencies: ['delivery-log', 'smtp', 'service-metrics'] })
