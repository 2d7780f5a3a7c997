import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { BrokerLink } from '@latchkey/shared'
import { observeOutboxBacklog } from '../monitoring/auth-metrics.js'
import { OutboxRelay } from './outbox-relay.js'

declare module 'fastify' {
  interface FastifyInstance {
    broker: BrokerLink
    outbox: OutboxRelay
  }
}

export interface EventsOptions {
  amqpUrl: string
  exchange: string
  replicaId: string
  sweepSeconds: number
}

async function events (fastify: FastifyInstance, options: EventsOptions): Promise<void> {
  const log = fastify.log.child({ component: 'events' })
  const broker = new BrokerLink({
    url: options.amqpUrl,
    connectionName: `auth-api ${options.replicaId}`,
    log,
    setup: async (channel) => {
      await channel.assertExchange(options.exchange, 'topic', { durable: true })
      // Whatever waited while the broker was away goes out as soon as it is back.
      setImmediate(() => { void relay.sweep() })
    }
  })
  const relay = new OutboxRelay({
    accounts: fastify.accounts,
    broker,
    exchange: options.exchange,
    log,
    now: () => new Date(),
    metrics: { published: fastify.authMetrics.eventsPublished, failures: fastify.authMetrics.publishFailures, parked: fastify.authMetrics.eventsParked },
    sweepIntervalMs: options.sweepSeconds * 1000
  })
  await broker.start()
  observeOutboxBacklog(fastify)
  relay.start()

  fastify.decorate('broker', broker)
  fastify.decorate('outbox', relay)
  fastify.addHook('onClose', async () => {
    await relay.stop()
    await broker.close()
  })
}

export default fp(events, { name: 'events', dependencies: ['accounts', 'auth-metrics'] })
