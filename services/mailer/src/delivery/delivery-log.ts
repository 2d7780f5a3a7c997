import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { insertIfAbsent } from '@latchkey/shared'
import { MongoClient, type Collection } from 'mongodb'

export type DeliveryStatus = 'sending' | 'retrying' | 'sent' | 'dropped-expired' | 'failed'

/** One document per event id: what happened to the mail that event asked for. */
export interface DeliveryRecord {
  _id: string
  type: string
  to: string
  status: DeliveryStatus
  /** Bumped by every takeover; each version can be taken over once (see `takeovers`). */
  version: number
  attempts: number
  /** While `sending`: until when the handler that claimed it is presumed alive. */
  leaseUntil?: Date
  sentAt?: Date
  updatedAt: Date
  lastError?: string
}

export type ClaimResult = 'claimed' | 'already-sent' | 'busy'

// Longer than the worst SMTP round trip (three 5 s timeouts), so a live sender is never overtaken.
const sendingLeaseMs = 60_000

/**
 * The `deliveries` collection, keyed by event id. It is what makes redelivered and duplicated
 * events harmless: an event whose mail went out is never sent again, and two copies of one
 * event handled at the same time cannot both send (the second finds a live `sending` claim).
 */
export class DeliveryLog {
  constructor (
    private readonly collection: Collection<DeliveryRecord>,
    /**
     * One document per (event, version) taken over. FerretDB v1 applies a guarded update as an
     * unisolated read-modify-write, so two handlers could both "win" a version check; inserting
     * a duplicate _id, though, fails atomically on every MongoDB-compatible server.
     */
    private readonly takeovers: Collection<{ _id: string, at: Date }>
  ) {}

  async claim (eventId: string, details: { type: string, to: string }, now: Date): Promise<ClaimResult> {
    const claimed = { status: 'sending' as const, leaseUntil: new Date(now.getTime() + sendingLeaseMs), updatedAt: now }
    if (await insertIfAbsent(this.collection, { _id: eventId, ...details, ...claimed, version: 1, attempts: 1 })) return 'claimed'
    const existing = await this.collection.findOne({ _id: eventId })
    if (existing === null) return 'busy' // deleted between the two calls; the retry will insert it
    if (existing.status === 'sent') return 'already-sent'
    if (existing.status === 'sending' && (existing.leaseUntil?.getTime() ?? 0) > now.getTime()) return 'busy'
    if (!await insertIfAbsent(this.takeovers, { _id: `${eventId}#${existing.version}`, at: now })) return 'busy'
    await this.collection.updateOne(
      { _id: eventId },
      { $set: { ...details, ...claimed, version: existing.version + 1, attempts: existing.attempts + 1 } }
    )
    return 'claimed'
  }

  async markSent (eventId: string, details: { type: string, to: string }, sentAt: Date): Promise<void> {
    await this.#settle(eventId, { ...details, status: 'sent', sentAt, updatedAt: sentAt })
  }

  async markDroppedExpired (eventId: string, now: Date): Promise<void> {
    await this.#settle(eventId, { status: 'dropped-expired', updatedAt: now })
  }

  /** The claim is given up so that the next attempt (from the retry queue) can take it at once. */
  async release (eventId: string, error: string, now: Date): Promise<void> {
    await this.#settle(eventId, { status: 'retrying', lastError: error, updatedAt: now })
  }

  async markFailed (eventId: string, error: string, now: Date): Promise<void> {
    await this.#settle(eventId, { status: 'failed', lastError: error, updatedAt: now })
  }

  async find (eventId: string): Promise<DeliveryRecord | null> {
    return await this.collection.findOne({ _id: eventId })
  }

  async #settle (eventId: string, fields: Partial<DeliveryRecord>): Promise<void> {
    await this.collection.updateOne({ _id: eventId }, { $set: fields, $unset: { leaseUntil: '' } }, { upsert: true })
  }
}

export interface DeliveryLogOptions {
  mongoUrl: string
}

declare module 'fastify' {
  interface FastifyInstance {
    deliveries: DeliveryLog
    /** True when MongoDB answers a ping. */
    isDatabaseUp: () => Promise<boolean>
  }
}

async function deliveryLog (fastify: FastifyInstance, options: DeliveryLogOptions): Promise<void> {
  // A short server selection turns a Mongo outage into a quick retry instead of a 30 s hang.
  const client = new MongoClient(options.mongoUrl, { serverSelectionTimeoutMS: 3000, appName: 'latchkey-mailer' })
  const db = client.db()
  const isDatabaseUp = async (): Promise<boolean> => {
    try {
      await db.command({ ping: 1 })
      return true
    } catch {
      return false
    }
  }
  // The driver connects on first use and reconnects by itself; a worker that starts while Mongo is
  // away should still start (and say so in /ready), so this is a warning, not a failure.
  if (!await isDatabaseUp()) fastify.log.warn('MongoDB is not reachable yet; deliveries will be retried')

  fastify.decorate('deliveries', new DeliveryLog(db.collection<DeliveryRecord>('deliveries'), db.collection('delivery_takeovers')))
  fastify.decorate('isDatabaseUp', isDatabaseUp)
  fastify.addHook('onClose', async () => await client.close())
}

export default fp(deliveryLog, { name: 'delivery-log' })
