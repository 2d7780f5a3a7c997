import type { Channel } from 'amqplib'
import { mailEventTypes } from './mail-event.js'

export interface QueueNames {
  /** Quorum queue the mailer consumes. */
  main: string
  /** Classic queue where a failed message waits out its backoff, then flows back to `main`. */
  retry: string
  /** Fanout exchange `main` dead-letters into. */
  deadLetterExchange: string
  /** Where messages end that will never be mailed; someone should look at it (alert on depth > 0). */
  dead: string
}

export function queueNames (mailQueue: string): QueueNames {
  return { main: mailQueue, retry: `${mailQueue}.retry`, deadLetterExchange: `${mailQueue}.dlx`, dead: `${mailQueue}.dead` }
}

export interface TopologyOptions {
  exchange: string
  queues: QueueNames
  maxDeliveryAttempts: number
}

/**
 * Declares everything the mailer consumes from. Idempotent, so it runs on every (re)connect;
 * declaring an existing queue with different arguments is a channel error, which is why the
 * arguments never depend on anything but the configuration.
 */
export async function declareTopology (channel: Channel, options: TopologyOptions): Promise<void> {
  const { exchange, queues, maxDeliveryAttempts } = options
  await channel.assertExchange(exchange, 'topic', { durable: true })

  await channel.assertExchange(queues.deadLetterExchange, 'fanout', { durable: true })
  await channel.assertQueue(queues.dead, { durable: true, arguments: { 'x-queue-type': 'quorum' } })
  await channel.bindQueue(queues.dead, queues.deadLetterExchange, '')

  await channel.assertQueue(queues.main, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      // RabbitMQ 3.10 has no default: without it a message that crashes the consumer loops forever.
      'x-delivery-limit': maxDeliveryAttempts,
      'x-dead-letter-exchange': queues.deadLetterExchange,
      // at-least-once dead-lettering only works with reject-publish; otherwise it silently degrades.
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish'
    }
  })
  for (const type of mailEventTypes) await channel.bindQueue(queues.main, exchange, type)

  // Per-message TTL (the backoff) on a classic queue; expired messages go back to the main queue
  // through the default exchange. TTLs only expire at the head of a classic queue, so a short
  // delay can wait behind a longer one: backoff is "at least", never shorter than asked.
  await channel.assertQueue(queues.retry, {
    durable: true,
    arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queues.main }
  })
}
