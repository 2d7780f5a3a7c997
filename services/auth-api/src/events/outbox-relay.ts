import type { ConfirmChannel } from 'amqplib'
import type { BrokerLink } from '@latchkey/shared'
import type { FastifyBaseLogger } from 'fastify'
import type { OutboxEntry, UserDocument, UsersRepository } from '../accounts/users.js'

export interface OutboxRelayOptions {
  users: UsersRepository
  broker: BrokerLink
  exchange: string
  replicaId: string
  log: FastifyBaseLogger
  now: () => Date
  /** How long a claimed document stays ours; another replica takes over after that. */
  leaseMs?: number
  sweepIntervalMs?: number
  /** Documents claimed per sweep query. */
  batchSize?: number
}

/**
 * Publishes the events that requests wrote into account documents (the same-document
 * outbox: FerretDB has no transactions), then removes them. A replica claims a document
 * with a lease before publishing, so two replicas never publish the same events at once;
 * after a crash the lease runs out and the next sweep publishes them. Delivery is at least
 * once: the mailer deduplicates by event id.
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

  /** Publishes one account's pending events right after the request that wrote them. */
  async publishFor (email: string): Promise<void> {
    await this.#publishAccount(email).catch((err: unknown) => {
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

  async #sweepDue (): Promise<void> {
    while (!this.#stopped && this.options.broker.connected) {
      const due = await this.options.users.collection
        .find(this.#dueFilter(this.options.now()))
        .limit(this.#batchSize)
        .toArray()
      if (due.length === 0) return
      for (const user of due) await this.#publishAccount(user.email)
      if (due.length < this.#batchSize) return
    }
  }

  #dueFilter (now: Date) {
    return { outboxPending: true, $or: [{ outboxLeaseUntil: null }, { outboxLeaseUntil: { $lte: now } }] }
  }

  #isDue (user: UserDocument, now: Date): boolean {
    return user.outboxPending && (user.outboxLeaseUntil === null || user.outboxLeaseUntil <= now)
  }

  async #publishAccount (email: string): Promise<void> {
    if (!this.options.broker.connected) return
    const claimed = await this.#claim(email)
    if (!claimed) return
    try {
      const { published, returned } = await this.#publish(claimed.outbox)
      await this.#release(email, published)
      if (returned.length > 0) await this.#backOff(email, new Error(`${returned.length} event(s) unroutable: no queue bound yet`))
    } catch (err) {
      await this.#backOff(email, err)
    }
  }

  async #claim (email: string): Promise<UserDocument | null> {
    const { users, replicaId, now } = this.options
    return await users.withAccount(email, async (user) => {
      const claimedAt = now()
      if (!user || !this.#isDue(user, claimedAt)) return null
      return await users.update(user, {
        $set: { outboxLeaseUntil: new Date(claimedAt.getTime() + this.#leaseMs), outboxLeaseOwner: replicaId }
      }, claimedAt)
    })
  }

  /**
   * Publishes with confirms. A `mandatory` message that no queue takes comes back as a
   * basic.return before its confirm; such events stay in the outbox until a queue exists.
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
    return { published: ids.filter((id) => !returned.includes(id)), returned }
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
        mandatory: true
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
        return
      }
      const unset = Object.fromEntries(published.map((id) => [`outbox.${id}`, '' as const]))
      await users.update(user, {
        ...(published.length > 0 ? { $unset: unset } : {}),
        $set: { outboxPending: remaining.length > 0, outboxLeaseUntil: null, outboxAttempts: 0 }
      }, now())
    })
    if (published.length > 0) this.options.log.info({ events: published.length }, 'outbox events published')
  }

  async #backOff (email: string, err: unknown): Promise<void> {
    const { users, now, replicaId, log } = this.options
    await users.withAccount(email, async (user) => {
      if (!user || user.outboxLeaseOwner !== replicaId) return
      const attempts = (user.outboxAttempts ?? 0) + 1
      const delayMs = Math.min(60_000, 500 * 2 ** Math.min(attempts, 7))
      log.warn({ err, userId: user._id, attempts, delayMs }, 'outbox publish failed, will retry')
      await users.update(user, { $set: { outboxLeaseUntil: new Date(now().getTime() + delayMs), outboxAttempts: attempts } }, now())
    }).catch(() => {})
  }
}
