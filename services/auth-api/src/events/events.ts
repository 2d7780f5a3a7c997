import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { BrokerLink } from '@latchkey/shared'
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
}

async function events (fastify: FastifyInstance, options: EventsOptions): Promise<void> {
  const log = fastify.log.child({ component: 'events' })
  const broker = new BrokerLink({
    url: options.amqpUrl,
    connectionName: `auth-api ${options.replicaId}`,
    log,
    setup: async (channel) => {
      await channel.assertExchange(options.exchange, 'topic', { durable: true })
    }
  })
  await broker.start()

  const relay = new OutboxRelay({ accounts: fastify.accounts, broker, exchange: options.exchange, log, now: () => new Date() })
  relay.start()

  fastify.decorate('broker', broker)
  fastify.decorate('outbox', relay)
  fastify.addHook('onClose', async () => {
    await relay.stop()
    await broker.close()
  })
}

export default fp(events, { name: 'events', dependencies: ['accounts'] })
