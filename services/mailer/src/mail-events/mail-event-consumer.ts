import type { ConfirmChannel, ConsumeMessage, Options } from 'amqplib'
import type { FastifyBaseLogger } from 'fastify'
import { parseTraceparent } from '@latchkey/shared'
import { deliverMail, type DeliveryDeps } from '../delivery/deliver-mail.js'
import { parseMailEvent, type ParsedMailEvent } from './mail-event.js'
import { attemptHeader, currentAttempt, retryDelayMs, type RetryPolicy } from './retry-policy.js'
import { declareTopology, type QueueNames } from './topology.js'

export interface MailEventConsumerOptions {
  exchange: string
  queues: QueueNames
  prefetch: number
  retry: RetryPolicy
  /** Everything a delivery needs but its logger, which is made per message. */
  deliveryDeps: Omit<DeliveryDeps, 'log'>
  log: FastifyBaseLogger
}

/** Counts since start; for tests and for a glance at what the worker has been doing. */
export interface MailEventStats {
  received: number
  sent: number
  alreadySent: number
  droppedExpired: number
  retried: number
  deadLettered: number
}

/**
 * Takes mail events off the queue one message at a time (up to `prefetch` in parallel), and
 * settles each message only once its outcome is safe: acked after the mail was accepted (or
 * knowingly skipped), republished to the retry queue before the original is acked, or
 * dead-lettered. A message whose channel died before it was settled is simply redelivered.
 */
export class MailEventConsumer {
  readonly stats: MailEventStats = { received: 0, sent: 0, alreadySent: 0, droppedExpired: 0, retried: 0, deadLettered: 0 }
  readonly #inFlight = new Set<Promise<void>>()
  #consumer: { channel: ConfirmChannel, tag: string } | undefined
  #stopping = false

  constructor (private readonly options: MailEventConsumerOptions) {}

  /** BrokerLink's setup: runs on every fresh channel, after every (re)connect. */
  readonly attach = async (channel: ConfirmChannel): Promise<void> => {
    const { exchange, queues, retry, prefetch } = this.options
    await declareTopology(channel, { exchange, queues, maxDeliveryAttempts: retry.maxAttempts })
    // Must come before consume: it applies to consumers started after it.
    await channel.prefetch(prefetch)
    const { consumerTag } = await channel.consume(queues.main, (message) => this.#receive(channel, message), { noAck: false })
    this.#consumer = { channel, tag: consumerTag }
  }

  /** Stops taking messages and waits for the ones in hand; their channel is closed afterwards. */
  async stop (): Promise<void> {
    this.#stopping = true
    const consumer = this.#consumer
    this.#consumer = undefined
    if (consumer !== undefined) {
      await consumer.channel.cancel(consumer.tag).catch(() => { /* channel already gone: nothing to cancel */ })
    }
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight])
  }

  #receive (channel: ConfirmChannel, message: ConsumeMessage | null): void {
    if (message === null) {
      this.#resubscribe(channel)
      return
    }
    const work = this.#handle(channel, message)
      .catch((err: unknown) => this.options.log.error({ err }, 'unexpected error while handling a message'))
      .finally(() => this.#inFlight.delete(work))
    this.#inFlight.add(work)
  }

  /** The broker cancelled us (e.g. the queue was deleted): declare it again and consume again. */
  #resubscribe (channel: ConfirmChannel): void {
    if (this.#stopping) return
    this.options.log.warn({ queue: this.options.queues.main }, 'consumer cancelled by the broker, subscribing again')
    this.attach(channel).catch((err: unknown) => this.options.log.error({ err }, 'could not subscribe again'))
  }

  async #handle (channel: ConfirmChannel, message: ConsumeMessage): Promise<void> {
    const { retry, deliveryDeps } = this.options
    const { metrics } = deliveryDeps
    this.stats.received++
    metrics.received.inc()
    const attempt = currentAttempt(message.properties.headers)
    const parsed = parseMailEvent(message.content)
    const log = this.#messageLog(message, parsed, attempt)
    if (!parsed.valid) {
      log.warn({ reason: parsed.reason }, 'message is not a mailable event, dead-lettering it')
      this.#deadLetter(channel, message, 'invalid-message')
      return
    }

    const outcome = await deliverMail(parsed.event, { ...deliveryDeps, log }, attempt >= retry.maxAttempts)
    switch (outcome.action) {
      case 'ack':
        log.info({ result: outcome.result }, resultMessages[outcome.result])
        this.stats[statByResult[outcome.result]]++
        metrics.deliveries.inc({ result: outcome.result, kind: parsed.event.kind })
        settleSafely(() => channel.ack(message))
        break
      case 'wait':
        // Not an attempt: the copy only waits for the claim's holder to finish or to be presumed dead.
        await this.#retryLater(channel, message, { failedAttempts: attempt - 1, delayMs: outcome.delayMs, cause: 'claim-held', reason: outcome.reason }, log)
        break
      case 'retry':
        if (attempt < retry.maxAttempts) {
          await this.#retryLater(channel, message, { failedAttempts: attempt, delayMs: retryDelayMs(attempt, retry), cause: outcome.cause, reason: outcome.reason }, log)
          break
        }
        log.error({ reason: outcome.reason }, 'mail failed on its last attempt, dead-lettering it')
        this.#deadLetter(channel, message, 'attempts-exhausted')
        break
      case 'dead-letter':
        log.error({ reason: outcome.reason }, 'mail cannot be delivered, dead-lettering it')
        this.#deadLetter(channel, message, outcome.cause)
    }
  }

  /** Every line about a message names its event and, when it came with one, its trace. */
  #messageLog (message: ConsumeMessage, parsed: ParsedMailEvent, attempt: number): FastifyBaseLogger {
    const { headers, messageId, correlationId } = message.properties
    const attribute = parsed.valid ? parsed.event.traceparent : parsed.traceparent
    const trace = parseTraceparent(headers?.traceparent) ?? parseTraceparent(attribute)
    return this.options.log.child({
      eventId: (parsed.valid ? parsed.event.id : parsed.eventId) ?? messageId,
      ...(trace === undefined ? {} : { traceId: trace.traceId }),
      ...(parsed.valid ? { type: parsed.event.type } : {}),
      attempt,
      correlationId
    })
  }

  /**
   * Parks a copy in the retry queue, and acks the original only after the broker confirmed the
   * copy: a crash in between leaves two copies (the delivery log dedups them), never zero.
   */
  async #retryLater (channel: ConfirmChannel, message: ConsumeMessage, later: RetryLater, log: FastifyBaseLogger): Promise<void> {
    const { failedAttempts, delayMs, cause, reason } = later
    try {
      await publishConfirmed(channel, this.options.queues.retry, message.content, retryProperties(message, failedAttempts, delayMs))
    } catch (err) {
      // Not parked: give it back to the queue (bounded by x-delivery-limit) rather than lose it.
      log.warn({ err }, 'could not park the message for a retry, requeueing it')
      settleSafely(() => channel.nack(message, false, true))
      return
    }
    log.warn({ reason, delayMs }, cause === 'claim-held' ? 'another copy holds the claim, looking again later' : 'mail attempt failed, retrying later')
    this.stats.retried++
    this.options.deliveryDeps.metrics.retries.inc({ cause })
    settleSafely(() => channel.ack(message))
  }

  #deadLetter (channel: ConfirmChannel, message: ConsumeMessage, cause: DeadLetterCause): void {
    this.stats.deadLettered++
    this.options.deliveryDeps.metrics.deadLetters.inc({ cause })
    // requeue=false sends it through the queue's dead-letter exchange to the dead queue.
    settleSafely(() => channel.nack(message, false, false))
  }
}

interface RetryLater {
  /** Written to the copy's attempt header; unchanged by a wait. */
  failedAttempts: number
  delayMs: number
  cause: 'smtp-failure' | 'delivery-log' | 'claim-held'
  reason: string
}

type DeadLetterCause = 'invalid-message' | 'permanent-failure' | 'attempts-exhausted'

const resultMessages = {
  sent: 'mail sent',
  'already-sent': 'mail was already sent for this event, skipping the copy',
  'dropped-expired': 'code expired before it could be mailed, dropping it'
} as const

const statByResult = { sent: 'sent', 'already-sent': 'alreadySent', 'dropped-expired': 'droppedExpired' } as const

/** Acking on a channel that closed meanwhile throws; the broker redelivers those messages anyway. */
function settleSafely (settle: () => void): void {
  try {
    settle()
  } catch { /* channel closed: the message goes back to the queue by itself */ }
}

function retryProperties (message: ConsumeMessage, failedAttempts: number, delayMs: number): Options.Publish {
  const { headers, contentType, contentEncoding, correlationId, messageId, type, appId, timestamp, priority } = message.properties
  // The quorum queue counts deliveries itself; a stale count in a new message would only confuse.
  const { 'x-delivery-count': _deliveryCount, ...kept } = headers ?? {}
  const properties: Options.Publish = {
    persistent: true,
    expiration: String(delayMs),
    headers: { ...kept, [attemptHeader]: failedAttempts },
    contentType,
    contentEncoding,
    correlationId,
    messageId,
    type,
    appId,
    timestamp,
    priority
  }
  return Object.fromEntries(Object.entries(properties).filter(([, value]) => value !== undefined)) as Options.Publish
}

async function publishConfirmed (channel: ConfirmChannel, queue: string, content: Buffer, properties: Options.Publish): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    try {
      channel.sendToQueue(queue, content, properties, (err: unknown) => {
        if (err === null || err === undefined) resolve()
        else reject(err instanceof Error ? err : new Error('broker refused the message'))
      })
    } catch (err) {
      reject(err)
    }
  })
}
