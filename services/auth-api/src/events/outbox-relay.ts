import type { ConfirmChannel } from 'amqplib'
import type { Collection } from 'mongodb'
import type { BrokerLink } from '@latchkey/shared'
import type { FastifyBaseLogger } from 'fastify'
import { codeDeliveryEventTypes, insertIfAbsent, type CloudEvent } from '@latchkey/shared'
import { outboxEntry, type OutboxEntry, type UserDocument, type UsersRepository } from '../accounts/users.js'

/** One per account with unpublished events: what the sweep reads instead of every account. */
export interface PendingMarker {
  _id: string
  since: Date
  /** When the sweep should look again: moved forward by back-off, so failing accounts wait their turn. */
  dueAt: Date
}

/** A marker with no account behind it may belong to an insert still under way; only older ones are stale. */
const STALE_MARKER_MS = 60_000

const mustReachAQueue = new Set<string>(codeDeliveryEventTypes)

export interface OutboxRelayOptions {
  users: UsersRepository
  /**
   * Written before the events they announce, so no event goes unannounced; a marker left over
   * (its write failed, or the events are out) is simply removed by the next sweep.
   */
  pending: Collection<PendingMarker>
  broker: BrokerLink
  exchange: string
  replicaId: string
  log: FastifyBaseLogger
  now: () => Date
  /** How long a claimed document stays ours; another replica takes over after that. */
  leaseMs?: number
  sweepIntervalMs?: number
  /** Accounts looked at per sweep. */
  batchSize?: number
}

/**
 * Publishes the events that requests wrote into account documents (the same-document
 * outbox: FerretDB has no transactions), then removes them. A replica claims a document
 * with a lease before publishing, so two replicas never publish the same events at once;
 * after a crash the lease runs out and the next sweep publishes them. The request that writes
 * an event takes the lease in that same write when it is free, so the common case publishes
 * straight away without a separate claim. Delivery is at least once: the mailer deduplicates
 * by event id.
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
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 1_000
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

  /** `$set` fields that add an event to an account's outbox, taking the lease if it is free. */
  async append (user: UserDocument, event: CloudEvent, correlationId: string): Promise<Record<string, unknown>> {
    const now = this.options.now()
    await this.#markPending(user.email, now)
    return { [`outbox.${event.id}`]: outboxEntry(event, correlationId, now), outboxPending: true, ...this.#leaseIfFree(user, now) }
  }

  /** The outbox fields of a new account whose first event is `event`; the lease is ours. */
  async initial (email: string, event: CloudEvent, correlationId: string): Promise<Pick<UserDocument, 'outbox' | 'outboxPending' | 'outboxLeaseUntil' | 'outboxLeaseOwner'>> {
    const now = this.options.now()
    await this.#markPending(email, now)
    return { outbox: { [event.id]: outboxEntry(event, correlationId, now) }, outboxPending: true, outboxLeaseUntil: null, ...this.#leaseIfFree(null, now) }
  }

  /**
   * Publishes what a request just wrote: at once when that write took the lease, otherwise
   * by claiming it now (the holder of a live lease, or the next sweep, takes care of it).
   */
  async publishWritten (user: UserDocument): Promise<void> {
    const work = this.#ownsLease(user, this.options.now())
      ? this.#publishLeased(user.email, user.outbox)
      : this.#publishAccount(user.email)
    await work.catch((err: unknown) => {
      this.options.log.warn({ err }, 'outbox publish failed; the sweep will retry')
    })
  }

  /** Publishes every due document; one sweep at a time per replica. */
  async sweep (): Promise<void> {
    if (this.#sweeping) return await this.#sweeping
    this.#sweeping = this.#sweepDue().catch((err: unknown) => {
      this.options.log.warn({ err }, 'outbox sweep failed')
    }).finally(() => {
      this.#sweeping = undefined
    })
    return await this.#sweeping
  }

  /** One batch per tick, oldest first; accounts leased by another replica wait for a later tick. */
  async #sweepDue (): Promise<void> {
    const markers = await this.options.pending.find({ dueAt: { $lte: this.options.now() } }).sort({ dueAt: 1 }).limit(this.#batchSize).toArray()
    for (const marker of markers) {
      if (this.#stopped || !this.options.broker.connected) return
      await this.#publishAccount(marker._id, marker)
    }
  }

  /** An existing marker stays as it is: its due time may carry a back-off. */
  async #markPending (email: string, now: Date): Promise<void> {
    await insertIfAbsent(this.options.pending, { _id: email, since: now, dueAt: now })
  }

  #isDue (user: UserDocument, now: Date): boolean {
    return user.outboxPending && this.#leaseIsFree(user, now)
  }

  #leaseIsFree (user: UserDocument, now: Date): boolean {
    return user.outboxLeaseUntil === null || user.outboxLeaseUntil <= now
  }

  #ownsLease (user: UserDocument, now: Date): boolean {
    return user.outboxLeaseOwner === this.options.replicaId && user.outboxLeaseUntil !== null && user.outboxLeaseUntil > now
  }

  #lease (now: Date): { outboxLeaseUntil: Date, outboxLeaseOwner: string } {
    return { outboxLeaseUntil: new Date(now.getTime() + this.#leaseMs), outboxLeaseOwner: this.options.replicaId }
  }

  /** With the broker away nobody can publish, so a writer leaves the lease for whoever reconnects first. */
  #leaseIfFree (user: UserDocument | null, now: Date): Partial<UserDocument> {
    return this.options.broker.connected && (!user || this.#leaseIsFree(user, now)) ? this.#lease(now) : {}
  }

  async #publishAccount (email: string, marker?: PendingMarker): Promise<void> {
    if (!this.options.broker.connected) return
    const claimed = await this.#claim(email, marker)
    if (claimed) await this.#publishLeased(email, claimed.outbox)
  }

  /** Publishes the outbox of an account whose lease this replica holds, then gives the lease back. */
  async #publishLeased (email: string, outbox: Record<string, OutboxEntry>): Promise<void> {
    try {
      const { published, returned } = await this.#publish(outbox)
      await this.#release(email, published)
      if (returned.length > 0) await this.#backOff(email, new Error(`${returned.length} event(s) unroutable: no queue bound yet`))
    } catch (err) {
      await this.#backOff(email, err)
    }
  }

  async #claim (email: string, marker?: PendingMarker): Promise<UserDocument | null> {
    const { users, now } = this.options
    return await users.withAccount(email, async (user) => {
      const claimedAt = now()
      const stale = user ? !user.outboxPending : marker !== undefined && claimedAt.getTime() - marker.since.getTime() > STALE_MARKER_MS
      if (stale) await this.options.pending.deleteOne({ _id: email })
      if (!user?.outboxPending) return null
      if (!this.#isDue(user, claimedAt)) return null
      return await users.update(user, { $set: this.#lease(claimedAt) }, claimedAt)
    })
  }

  /**
   * Publishes with confirms. A code event must reach the mailer's queue, so it goes out
   * `mandatory`: if no queue takes it, it comes back as a basic.return before its confirm and
   * stays in the outbox until a queue exists. Other events are notices for whoever listens.
   */
  async #publish (outbox: Record<string, OutboxEntry>): Promise<{ published: string[], returned: string[] }> {
    const channel = this.options.broker.channel
    if (!channel) throw new Error('broker is not connected')
    const ids = Object.keys(outbox)
    const returned: string[] = []
    const collectReturned = (message: { properties: { messageId?: string } }): void => {
      if (message.properties.messageId) returned.push(message.properties.messageId)
    }
    channel.on('return', collectReturned)
    try {
      this.#send(channel, outbox, ids)
      await channel.waitForConfirms()
    } finally {
      channel.off('return', collectReturned)
    }
    // The channel is shared: returns of other accounts' events may arrive meanwhile.
    const ours = returned.filter((id) => ids.includes(id))
    return { published: ids.filter((id) => !ours.includes(id)), returned: ours }
  }

  #send (channel: ConfirmChannel, outbox: Record<string, OutboxEntry>, ids: string[]): void {
    for (const id of ids) {
      const entry = outbox[id]!
      channel.publish(this.options.exchange, entry.type, Buffer.from(entry.body), {
        persistent: true,
        messageId: id,
        correlationId: entry.correlationId,
        type: entry.type,
        contentType: 'application/cloudevents+json',
        timestamp: Math.floor(entry.createdAt.getTime() / 1000),
        appId: 'latchkey-auth-api',
        mandatory: mustReachAQueue.has(entry.type)
      })
    }
  }

  async #release (email: string, published: string[]): Promise<void> {
    const { users, now } = this.options
    await users.withAccount(email, async (user) => {
      if (!user) return
      const remaining = Object.keys(user.outbox).filter((id) => !published.includes(id))
      if (user.status === 'deleted' && remaining.length === 0) {
        // A deleted account's tombstone lived only to carry user.deleted out.
        await users.collection.deleteOne({ _id: user._id })
      } else {
        const unset = Object.fromEntries(published.map((id) => [`outbox.${id}`, '' as const]))
        await users.update(user, {
          ...(published.length > 0 ? { $unset: unset } : {}),
          // Attempts count on while events remain, so back-off keeps growing for them.
          $set: { outboxPending: remaining.length > 0, outboxLeaseUntil: null, ...(remaining.length === 0 ? { outboxAttempts: 0 } : {}) }
        }, now())
      }
      if (remaining.length === 0) await this.options.pending.deleteOne({ _id: email })
    })
    if (published.length > 0) this.options.log.info({ events: published.length }, 'outbox events published')
  }

  async #backOff (email: string, err: unknown): Promise<void> {
    const { users, now, replicaId, log } = this.options
    await users.withAccount(email, async (user) => {
      if (!user || user.outboxLeaseOwner !== replicaId) return
      const attempts = (user.outboxAttempts ?? 0) + 1
      const delayMs = Math.min(60_000, 500 * 2 ** Math.min(attempts, 7))
      log.warn({ err, userId: user.id, attempts, delayMs }, 'outbox publish failed, will retry')
      const retryAt = new Date(now().getTime() + delayMs)
      await users.update(user, { $set: { outboxLeaseUntil: retryAt, outboxAttempts: attempts } }, now())
      await this.options.pending.updateOne({ _id: email }, { $set: { dueAt: retryAt } })
    }).catch(() => {})
  }
}
