import type { Collection } from 'mongodb'
import type { ConfirmChannel } from 'amqplib'
import type { BrokerLink } from '@latchkey/shared'
import type { FastifyBaseLogger } from 'fastify'
import type { OutboxEntry, UserDocument } from '../accounts/users.js'

export interface OutboxRelayOptions {
  users: Collection<UserDocument>
  broker: BrokerLink
  exchange: string
  replicaId: string
  log: FastifyBaseLogger
  now: () => Date
  /** How long a claimed document stays ours; another replica takes over after that. */
  leaseMs?: number
  sweepIntervalMs?: number
}

/**
 * Publishes the events that requests wrote into user documents (the same-document outbox:
 * FerretDB has no transactions), then removes them. A replica claims a document with a
 * lease before publishing, so two replicas never publish the same event at once; a crash
 * leaves the lease to expire and the events to the next sweep. Delivery is at least once:
 * the mailer deduplicates by event id.
 */
export class OutboxRelay {
  readonly #leaseMs: number
  readonly #sweepIntervalMs: number
  #timer: NodeJS.Timeout | undefined
  #sweeping: Promise<void> | undefined
  #stopped = false

  constructor (private readonly options: OutboxRelayOptions) {
    this.#leaseMs = options.leaseMs ?? 15_000
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 1_000
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

  /** Publishes one user's pending events right after the request that wrote them. */
  async publishFor (userId: string): Promise<void> {
    await this.#publishClaimed({ _id: userId })
  }

  /** Publishes every due document; one sweep at a time per replica. */
  async sweep (): Promise<void> {
    if (this.#sweeping) return await this.#sweeping
    this.#sweeping = (async () => {
      while (!this.#stopped && this.options.broker.connected && await this.#publishClaimed({})) { /* next document */ }
    })().catch((err: unknown) => {
      this.options.log.warn({ err }, 'outbox sweep failed')
    }).finally(() => {
      this.#sweeping = undefined
    })
    return await this.#sweeping
  }

  /** Claims one due document matching the filter and publishes its events; false if none was due. */
  async #publishClaimed (filter: { _id?: string }): Promise<boolean> {
    const { users, replicaId, now } = this.options
    if (!this.options.broker.connected) return false
    const claimedAt = now()
    const user = await users.findOneAndUpdate(
      { ...filter, outboxPending: true, $or: [{ outboxLeaseUntil: null }, { outboxLeaseUntil: { $lte: claimedAt } }] },
      { $set: { outboxLeaseUntil: new Date(claimedAt.getTime() + this.#leaseMs), outboxLeaseOwner: replicaId } },
      { returnDocument: 'after' }
    )
    if (!user) return false
    try {
      const { published, returned } = await this.#publish(user.outbox)
      await this.#release(user, published)
      if (returned.length > 0) await this.#backOff(user, new Error(`${returned.length} event(s) unroutable: no queue bound yet`))
    } catch (err) {
      await this.#backOff(user, err)
    }
    return true
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

  async #release (user: UserDocument, published: string[]): Promise<void> {
    const { users } = this.options
    if (published.length === 0) return
    const unset = Object.fromEntries(published.map((id) => [`outbox.${id}`, '' as const]))
    await users.updateOne({ _id: user._id }, {
      $unset: unset,
      $set: { outboxLeaseUntil: null, outboxAttempts: 0 }
    })
    // Only when all went out and nothing was added since the claim (outboxSeq moves with every entry).
    if (published.length < Object.keys(user.outbox).length) return
    await users.updateOne({ _id: user._id, outboxSeq: user.outboxSeq }, { $set: { outboxPending: false } })
    this.options.log.info({ userId: user._id, events: published.length }, 'outbox events published')
  }

  async #backOff (user: UserDocument, err: unknown): Promise<void> {
    const attempts = (user.outboxAttempts ?? 0) + 1
    const delayMs = Math.min(60_000, 500 * 2 ** Math.min(attempts, 7))
    this.options.log.warn({ err, userId: user._id, attempts, delayMs }, 'outbox publish failed, will retry')
    await this.options.users.updateOne(
      { _id: user._id, outboxLeaseOwner: this.options.replicaId },
      { $set: { outboxLeaseUntil: new Date(this.options.now().getTime() + delayMs), outboxAttempts: attempts } }
    ).catch(() => {})
  }
}
