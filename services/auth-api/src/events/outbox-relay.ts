import { randomUUID } from 'node:crypto'
import type { ConfirmChannel } from 'amqplib'
import type { FastifyBaseLogger } from 'fastify'
import type { BrokerLink } from '@latchkey/shared'
import type { Counter } from 'prom-client'
import type { AccountDocument, OutboxEntry } from '../accounts/account.js'
import type { AccountStore, ClaimedOutbox } from '../accounts/accounts-store.js'

type Outbox = Record<string, OutboxEntry>
type Claimed = ClaimedOutbox
interface Refused { id: string, err: unknown }
interface PublishOutcome {
  published: string[]
  /** Unroutable (a mandatory event no queue took): they stay, and the outbox backs off. */
  returned: string[]
  refused: Refused[]
}

export interface OutboxRelayOptions {
  accounts: AccountStore
  broker: BrokerLink
  exchange: string
  log: FastifyBaseLogger
  metrics: { published: Counter<'type'>, failures: Counter<'reason'>, parked: Counter<'type'> }
  /** Leases are about live processes, so they run on the wall clock, not the application's. */
  now: () => Date
  /** How long a claimed outbox stays ours; another replica takes over after that. */
  leaseMs?: number
  /**
   * The safety sweep, for outboxes nobody is about to publish (a replica died holding one).
   * Everything else is published at once, by the request that wrote it, when the broker
   * comes back, or when its back-off ends, so this can be slow.
   */
  sweepIntervalMs?: number
  /** Accounts looked at per sweep. */
  batchSize?: number
}

/**
 * Publishes the events that requests wrote into account documents (the same-document outbox),
 * then removes them. A relay claims an outbox with an atomic lease before publishing, so two
 * replicas never publish the same events at once; after a crash the lease runs out and the next
 * sweep publishes them. The request that created an account holds the lease from its very first
 * write, so the common case publishes at once without a claim. Publishing uses publisher
 * confirms; delivery is at least once, and the mailer deduplicates by event id.
 */
export class OutboxRelay {
  readonly #leaseMs: number
  readonly #sweepIntervalMs: number
  readonly #batchSize: number
  #timer: NodeJS.Timeout | undefined
  #sweeping: Promise<void> | undefined
  #stopped = false

  constructor (private readonly options: OutboxRelayOptions) {
    this.#leaseMs = options.leaseMs ?? 15_000
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 10_000
    this.#batchSize = options.batchSize ?? 50
  }

  start (): void {
    this.#timer = setInterval(() => { void this.sweep() }, this.#sweepIntervalMs)
    this.#timer.unref()
  }

  async stop (): Promise<void> {
    this.#stopped = true
    clearInterval(this.#timer)
    await this.#sweeping
  }

  /** The lease a new account is written with, so its creator may publish at once; none while the broker is away. */
  leaseForNewAccount (): Pick<AccountDocument, 'outboxLeaseUntil' | 'outboxClaim'> {
    if (!this.options.broker.connected) return {}
    return { outboxLeaseUntil: new Date(this.options.now().getTime() + this.#leaseMs), outboxClaim: randomUUID() }
  }

  /** Publishes the outbox of an account its creator inserted with a lease (see leaseForNewAccount). */
  async publishNew (account: AccountDocument): Promise<void> {
    const { outboxClaim } = account
    await this.#safely(outboxClaim ? this.#publishClaimed({ ...account, outboxClaim }) : Promise.resolve())
  }

  /** Publishes what a request just added to an account's outbox, unless another relay holds it. */
  async publishSoon (accountId: string): Promise<void> {
    await this.#safely(this.#claimAndPublish(accountId))
  }

  /** Publishes every due outbox; one sweep at a time per replica. */
  async sweep (): Promise<void> {
    if (this.#stopped) return
    if (this.#sweeping) return await this.#sweeping
    this.#sweeping = this.#safely(this.#sweepDue()).finally(() => { this.#sweeping = undefined })
    return await this.#sweeping
  }

  async #safely (work: Promise<void>): Promise<void> {
    await work.catch((err: unknown) => { this.options.log.warn({ err }, 'outbox publish failed; the sweep will retry') })
  }

  /** One batch per tick, most overdue first. */
  async #sweepDue (): Promise<void> {
    if (!this.options.broker.connected) return
    const due = await this.options.accounts.dueOutboxes(this.options.now(), this.#batchSize)
    for (const id of due) {
      if (this.#stopped || !this.options.broker.connected) return
      await this.#claimAndPublish(id)
    }
  }

  async #claimAndPublish (accountId: string): Promise<void> {
    if (!this.options.broker.connected) return
    const now = this.options.now()
    const claimed = await this.options.accounts.claimOutbox(accountId, now, new Date(now.getTime() + this.#leaseMs), randomUUID())
    if (claimed) await this.#publishClaimed(claimed)
  }

  async #publishClaimed (claimed: Claimed): Promise<void> {
    let outcome: PublishOutcome
    try {
      outcome = await this.#publish(claimed.outbox)
    } catch (err) {
      this.options.metrics.failures.inc({ reason: 'broker' })
      await this.#backOff(claimed, err)
      return
    }
    const { published, returned, refused } = outcome
    for (const id of published) this.options.metrics.published.inc({ type: claimed.outbox[id]!.type })
    if (refused.length > 0) claimed = await this.#park(claimed, refused)
    if (returned.length === 0) await this.#clear(claimed)
    else {
      await this.options.accounts.removeEvents(claimed._id, published)
      this.options.metrics.failures.inc({ reason: 'unroutable' })
      await this.#backOff(claimed, new Error(`${returned.length} event(s) unroutable: no queue bound yet`))
    }
    if (published.length > 0) this.options.log.info({ events: published.length }, 'outbox events published')
  }

  /**
   * Publishes with confirms. A code event must reach the mailer's queue, so it goes out
   * `mandatory`: if no queue takes it, it comes back as a basic.return before its confirm and
   * stays in the outbox until a queue exists. Other events are notices for whoever listens.
   */
  async #publish (outbox: Outbox): Promise<PublishOutcome> {
    const channel = this.options.broker.channel
    if (!channel) throw new Error('broker is not connected')
    const ids = Object.keys(outbox)
    const returned: string[] = []
    const collectReturned = (message: { properties: { messageId?: string } }): void => {
      if (message.properties.messageId) returned.push(message.properties.messageId)
    }
    channel.on('return', collectReturned)
    let refused: Refused[]
    try {
      refused = this.#send(channel, outbox, ids)
      await channel.waitForConfirms()
    } finally {
      channel.off('return', collectReturned)
    }
    // The channel is shared: returns of other accounts' events may arrive meanwhile.
    const ours = returned.filter((id) => ids.includes(id))
    const sent = ids.filter((id) => !refused.some((r) => r.id === id))
    return { published: sent.filter((id) => !ours.includes(id)), returned: ours, refused }
  }

  /**
   * Sends each event; amqplib refuses some before anything is written (a property too long for
   * AMQP's short strings), which no retry would change. Those come back as refused, and the
   * rest still go: one bad event never holds back the account's others.
   */
  #send (channel: ConfirmChannel, outbox: Outbox, ids: string[]): Refused[] {
    const refused: Refused[] = []
    for (const id of ids) {
      try {
        this.#sendOne(channel, id, outbox[id]!)
      } catch (err) {
        refused.push({ id, err })
      }
    }
    return refused
  }

  #sendOne (channel: ConfirmChannel, id: string, entry: OutboxEntry): void {
    channel.publish(this.options.exchange, entry.type, Buffer.from(entry.body), {
      persistent: true,
      messageId: id,
      correlationId: entry.correlationId,
      type: entry.type,
      contentType: 'application/cloudevents+json',
      timestamp: Math.floor(entry.createdAt.getTime() / 1000),
      appId: 'latchkey-auth-api',
      mandatory: entry.mandatory,
      headers: { traceparent: entry.traceparent }
    })
  }

  /**
   * Moves refused events out of the outbox into `outboxParked`, in one write under the claim:
   * kept for a person to look at, counted, and logged once, here, at error level.
   */
  async #park (claimed: Claimed, refused: Refused[]): Promise<Claimed> {
    await this.options.accounts.parkEvents(claimed, Object.fromEntries(refused.map(({ id }) => [id, claimed.outbox[id]!])))
    for (const { id, err } of refused) {
      const { type } = claimed.outbox[id]!
      this.options.metrics.parked.inc({ type })
      this.options.log.error({ err, userId: claimed._id, eventId: id, type }, 'the broker client refused an outbox event for its content: parked in outboxParked, not retried')
    }
    const outbox = Object.fromEntries(Object.entries(claimed.outbox).filter(([id]) => !refused.some((r) => r.id === id)))
    return { ...claimed, outbox }
  }

  /** Everything claimed went out: empty the outbox, or, if events were added meanwhile, remove only those published. */
  async #clear (claimed: Claimed): Promise<void> {
    const { accounts } = this.options
    if (await accounts.clearPublished(claimed)) return
    await accounts.removeEvents(claimed._id, Object.keys(claimed.outbox))
    await accounts.releaseOutbox(claimed)
  }

  async #backOff (claimed: Claimed, err: unknown): Promise<void> {
    const { accounts, now, log } = this.options
    const attempts = (claimed.outboxAttempts ?? 0) + 1
    const delayMs = Math.min(60_000, 500 * 2 ** Math.min(attempts, 7))
    log.warn({ err, userId: claimed._id, attempts, delayMs }, 'outbox publish failed, will retry')
    await accounts.retryOutboxAt(claimed, new Date(now().getTime() + delayMs), attempts)
    if (!this.#stopped) setTimeout(() => { void this.sweep() }, delayMs + 50).unref()
  }
}
