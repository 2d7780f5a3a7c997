import type { Collection, Db } from 'mongodb'
import { untilSettled } from '../accounts/accounts-store.js'
import { refusedUntil } from '../refusal.js'
import { isDuplicateKey } from '@latchkey/shared'

export interface LockoutPolicy {
  /** Consecutive failures allowed before the address is refused for a while. */
  threshold: number
  baseSeconds: number
  maxSeconds: number
}

/** Proofs of a password or an emailed code for one address since the last success, failed or under way. */
interface AttemptRecord {
  _id: string
  attempts: number
  /** Set as soon as an attempt may cross the threshold, before that attempt is evaluated. */
  lockedUntil?: Date
  /** Counters of addresses nobody tries any more go away (TTL index and retention sweep). */
  expiresAt: Date
}

/** How long a counter outlives its last attempt; the lockout never lasts longer than the cap anyway. */
const RETENTION_MS = 86_400_000

export function lockoutAfter (attempts: number, policy: LockoutPolicy): number {
  if (attempts < policy.threshold) return 0
  return Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** (attempts - policy.threshold))
}

/**
 * One counter per normalised address, shared by login, Basic-auth activation, password reset and
 * the password confirmations of /me. An attempt is reserved in one atomic write before the
 * password (or code) is checked, so however many arrive at once, at most `threshold` are
 * evaluated before the address locks. A reservation that might reach the threshold locks the
 * address in that same write, as if it failed; a success clears the counter, lock included.
 * Past the threshold each further failure doubles the wait, capped at `maxSeconds`: guessing
 * slows to a crawl, and the owner is never shut out longer than the cap. Addresses without an
 * account count the same way, so the lockout says nothing about which accounts exist.
 */
export class SignInAttempts {
  readonly #collection: Collection<AttemptRecord>

  constructor (db: Db, private readonly policy: LockoutPolicy, private readonly onRefused: () => void = () => {}) {
    this.#collection = db.collection<AttemptRecord>('sign_in_attempts')
  }

  async ensureIndexes (): Promise<void> {
    await this.#collection.createIndex({ expiresAt: 1 }, { name: 'expiry', expireAfterSeconds: 0 })
  }

  /** Counts one attempt for the address, or refuses it (429 ACCOUNT_LOCKED) while the address is locked. */
  async reserve (address: string, now: Date): Promise<void> {
    const expiresAt = new Date(now.getTime() + RETENTION_MS)
    const { threshold } = this.policy
    // Below the threshold, nothing but the count matters: one upsert. It fails with a duplicate
    // key when the record exists but is too far along, which the careful path below handles.
    try {
      await this.#collection.updateOne({ _id: address, attempts: { $lt: threshold - 1 } }, { $inc: { attempts: 1 }, $set: { expiresAt } }, { upsert: true })
      return
    } catch (err) {
      if (!isDuplicateKey(err)) throw err
    }
    await untilSettled(async () => {
      const record = await this.#collection.findOne({ _id: address })
      if (!record) return await this.reserve(address, now).then(() => true)
      if (record.lockedUntil && record.lockedUntil > now) {
        this.onRefused()
        throw refusedUntil('ACCOUNT_LOCKED', record.lockedUntil, now, (seconds) => `Too many failed attempts. Try again in ${seconds} s.`)
      }
      const attempts = record.attempts + 1
      const lockedUntil = new Date(now.getTime() + lockoutAfter(attempts, this.policy) * 1000)
      const { matchedCount } = await this.#collection.updateOne(
        { _id: address, attempts: record.attempts, lockedUntil: record.lockedUntil ?? { $exists: false } },
        { $set: { attempts, lockedUntil, expiresAt } }
      )
      return matchedCount === 1 ? true : undefined
    })
  }

  /** A proof succeeded: the address starts afresh. */
  async succeeded (address: string): Promise<void> {
    await this.#collection.deleteOne({ _id: address })
  }

  async removeExpired (now: Date): Promise<number> {
    return (await this.#collection.deleteMany({ expiresAt: { $lte: now } })).deletedCount
  }
}
