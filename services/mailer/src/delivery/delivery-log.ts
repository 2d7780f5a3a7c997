import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { MongoClient, type Collection } from 'mongodb'
import { Counter } from 'prom-client'
import { databaseReachable, isDuplicateKey } from '@latchkey/shared'

export type DeliveryStatus = 'sending' | 'retrying' | 'sent' | 'dropped-expired' | 'failed'

/**
 * One document per event id: what happened to the mail that event asked for. It holds no
 * recipient address: the event carries it, and the record is only needed to tell copies of
 * one event apart (see the README's "Retention").
 */
export interface DeliveryRecord {
  _id: string
  type: string
  status: DeliveryStatus
  /** While `sending`: the claim that may send, and until when its holder is presumed alive. */
  holder?: string
  leaseUntil?: Date
  /** Claims taken so far, the first included. */
  attempts: number
  sentAt?: Date
  updatedAt: Date
  /** Without the recipient address, which SMTP replies often quote. */
  lastError?: string
  /** When the record may go: a TTL index and the periodic sweep both remove it after that. */
  expiresAt: Date
}

/** The right to send one event's mail, until the lease runs out. */
export interface Claim {
  eventId: string
  holder: string
}

export type ClaimResult =
  | { result: 'claimed', claim: Claim }
  | { result: 'already-sent' }
  /** Another copy holds a live claim; `retryInMs` is when its lease will have run out. */
  | { result: 'held', retryInMs: number }

/** Runs `task` every `ms` until the returned function is called; the repetition keeps no process alive. */
export type Every = (ms: number, task: () => void) => () => void

export interface DeliveryLogOptions {
  /** How long a claim outlives its holder's last sign of life. */
  leaseMs: number
  retentionMs: number
  /** The clock renewals read; the system clock unless a test moves its own. */
  now?: () => Date
  /** The timer renewals run on; real intervals unless a test fires them itself. */
  every?: Every
}

const realEvery: Every = (ms, task) => {
  const timer = setInterval(task, ms)
  timer.unref()
  return () => clearInterval(timer)
}

// A copy that waits for a lease to run out looks again this long after it did.
const takeoverMarginMs = 250

/**
 * The `deliveries` collection, keyed by event id. It makes redelivered and duplicated events
 * harmless: an event whose mail the SMTP server accepted is never claimed again, and of two
 * copies handled at once only one holds the claim (the other waits for it to end). A claim is a
 * short lease, renewed while its holder sends (`keepAlive`), so a claim whose holder died ends
 * within one lease and the redelivered copy sends the mail while its code is still valid.
 */
export class DeliveryLog {
  readonly #now: () => Date
  readonly #every: Every

  constructor (private readonly collection: Collection<DeliveryRecord>, private readonly options: DeliveryLogOptions) {
    this.#now = options.now ?? (() => new Date())
    this.#every = options.every ?? realEvery
  }

  /**
   * One atomic write: take the record unless it is sent or claimed by a live holder, creating it
   * if it does not exist. When it exists and cannot be taken, the upsert's insert collides with
   * the unique `_id` (E11000), and one read says why.
   */
  async claim (eventId: string, type: string, now: Date): Promise<ClaimResult> {
    const holder = randomUUID()
    try {
      await this.collection.findOneAndUpdate(
        {
          _id: eventId,
          status: { $ne: 'sent' },
          $or: [{ status: { $ne: 'sending' } }, { leaseUntil: { $lte: now } }]
        },
        {
          $set: { type, status: 'sending', holder, leaseUntil: this.#leaseFrom(now), updatedAt: now, expiresAt: this.#expiryFrom(now) },
          $inc: { attempts: 1 }
        },
        { upsert: true, projection: { _id: 1 } }
      )
      return { result: 'claimed', claim: { eventId, holder } }
    } catch (err) {
      if (!isDuplicateKey(err)) throw err
    }
    const existing = await this.collection.findOne({ _id: eventId }, { projection: { status: 1, leaseUntil: 1 } })
    if (existing?.status === 'sent') return { result: 'already-sent' }
    // A clock far ahead on the holder's host must not make us wait longer than one lease.
    const leaseLeft = Math.min(Math.max((existing?.leaseUntil?.getTime() ?? 0) - now.getTime(), 0), this.options.leaseMs)
    return { result: 'held', retryInMs: leaseLeft + takeoverMarginMs }
  }

  /**
   * Renews the claim's lease every third of it until `stop` is called. A renewal that fails or
   * finds the claim taken over is reported: the mail may then be sent twice, never lost.
   */
  keepAlive (claim: Claim, onTrouble: (problem: string) => void): { stop: () => void } {
    const renew = async (): Promise<void> => {
      const now = this.#now()
      const renewed = await this.collection.updateOne(
        { _id: claim.eventId, holder: claim.holder, status: 'sending' },
        { $set: { leaseUntil: this.#leaseFrom(now), updatedAt: now } }
      )
      if (renewed.matchedCount === 0) onTrouble('the claim was taken over while sending')
    }
    const stop = this.#every(Math.floor(this.options.leaseMs / 3), () => {
      renew().catch((err: unknown) => onTrouble(`lease renewal failed: ${String(err)}`))
    })
    return { stop }
  }

  /** Not guarded by the claim: the mail is out whoever holds it now, so `sent` is always true. */
  async markSent (claim: Claim, sentAt: Date): Promise<void> {
    await this.collection.updateOne(
      { _id: claim.eventId },
      { $set: { status: 'sent', sentAt, updatedAt: sentAt, expiresAt: this.#expiryFrom(sentAt) }, $unset: { holder: '', leaseUntil: '' } },
      { upsert: true }
    )
  }

  async markDroppedExpired (claim: Claim, now: Date): Promise<void> {
    await this.#settle(claim, 'dropped-expired', now)
  }

  /** The claim is given up so that the next attempt (from the retry queue) can take it at once. */
  async release (claim: Claim, error: string, now: Date): Promise<void> {
    await this.#settle(claim, 'retrying', now, error)
  }

  async markFailed (claim: Claim, error: string, now: Date): Promise<void> {
    await this.#settle(claim, 'failed', now, error)
  }

  async find (eventId: string): Promise<DeliveryRecord | null> {
    return await this.collection.findOne({ _id: eventId })
  }

  /** Deletes the records past their retention; works on servers without a TTL monitor too. */
  async sweep (now: Date): Promise<number> {
    const { deletedCount } = await this.collection.deleteMany({ expiresAt: { $lte: now } })
    return deletedCount
  }

  /** Guarded by the claim, so a holder that lost it cannot overwrite the new holder's outcome. */
  async #settle (claim: Claim, status: DeliveryStatus, now: Date, lastError?: string): Promise<void> {
    await this.collection.updateOne(
      { _id: claim.eventId, holder: claim.holder },
      { $set: { status, updatedAt: now, expiresAt: this.#expiryFrom(now), ...(lastError === undefined ? {} : { lastError }) }, $unset: { holder: '', leaseUntil: '' } }
    )
  }

  #leaseFrom (now: Date): Date {
    return new Date(now.getTime() + this.options.leaseMs)
  }

  #expiryFrom (now: Date): Date {
    return new Date(now.getTime() + this.options.retentionMs)
  }
}

export interface DeliveryLogPluginOptions extends DeliveryLogOptions {
  mongoUrl: string
  sweepIntervalMs: number
}

declare module 'fastify' {
  interface FastifyInstance {
    deliveries: DeliveryLog
    /** True when MongoDB answers a ping. */
    isDatabaseUp: () => Promise<boolean>
  }
}

async function deliveryLog (fastify: FastifyInstance, options: DeliveryLogPluginOptions): Promise<void> {
  const log = fastify.log.child({ component: 'delivery-log' })
  // A short server selection turns a Mongo outage into a quick retry instead of a 30 s hang.
  const client = new MongoClient(options.mongoUrl, { serverSelectionTimeoutMS: 3000, appName: 'latchkey-mailer' })
  const db = client.db()
  const collection = db.collection<DeliveryRecord>('deliveries')
  const isDatabaseUp = async (): Promise<boolean> => await databaseReachable(db)
  // The driver connects on first use and reconnects by itself; a worker that starts while Mongo is
  // away should still start (and say so in /ready), so this is a warning, not a failure.
  if (!await isDatabaseUp()) log.warn('MongoDB is not reachable yet; deliveries will be retried')

  const deliveries = new DeliveryLog(collection, { leaseMs: options.leaseMs, retentionMs: options.retentionMs })
  const swept = new Counter({ name: 'mailer_delivery_records_swept_total', help: 'Delivery records deleted by the retention sweep', registers: [fastify.metrics.registry] })
  let indexed = false
  const applyRetention = async (): Promise<void> => {
    // The index serves the sweep, and lets a server with a TTL monitor delete expired records itself.
    indexed ||= await collection.createIndex({ expiresAt: 1 }, { name: 'expiresAt_ttl', expireAfterSeconds: 0 })
      .then(() => true, (err: unknown) => { log.warn({ err }, 'could not create the expiresAt index yet'); return false })
    swept.inc(await deliveries.sweep(new Date()))
  }
  const sweep = (): void => {
    applyRetention().catch((err: unknown) => log.warn({ err }, 'retention sweep failed; the next one will try again'))
  }
  const sweeper = setInterval(sweep, options.sweepIntervalMs)
  sweeper.unref()
  fastify.addHook('onReady', async () => sweep())

  fastify.decorate('deliveries', deliveries)
  fastify.decorate('isDatabaseUp', isDatabaseUp)
  fastify.addHook('onClose', async () => {
    clearInterval(sweeper)
    await client.close()
  })
}

export default fp(deliveryLog, { name: 'delivery-log', dependencies: ['service-metrics'] })
