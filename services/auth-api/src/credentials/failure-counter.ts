import type { Collection, Db } from 'mongodb'
import type { AccountLocks } from '../accounts/account-lock.js'
import { tooManyUntil } from '../http/errors.js'

export interface LockoutPolicy {
  /** Consecutive failures allowed before the address is refused for a while. */
  threshold: number
  baseSeconds: number
  maxSeconds: number
}

/** Consecutive failed proofs of a password or an emailed code for one address. */
interface FailureRecord {
  _id: string
  count: number
  lockedUntil: Date | null
}

export function lockoutAfter (count: number, policy: LockoutPolicy): number {
  if (count < policy.threshold) return 0
  return Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** (count - policy.threshold))
}

/**
 * One failure counter per normalised address, shared by login, Basic-auth activation and
 * password reset. Past the threshold each failure doubles the wait, capped at `maxSeconds`:
 * a guesser slows to a crawl, while the owner is never shut out for longer than the cap. A
 * success resets it. Addresses without an account count and lock exactly the same way, so
 * the lockout says nothing about which accounts exist.
 */
export class SignInFailures {
  readonly #records: Collection<FailureRecord>

  constructor (db: Db, private readonly locks: AccountLocks, private readonly policy: LockoutPolicy) {
    this.#records = db.collection<FailureRecord>('sign_in_failures')
  }

  /** Refuses (429) while the address is locked; returns whether there are failures to clear on success. */
  async assertNotLocked (email: string, now: Date): Promise<boolean> {
    const record = await this.#records.findOne({ _id: email })
    if (record?.lockedUntil && record.lockedUntil > now) {
      throw tooManyUntil(record.lockedUntil, now, 'ACCOUNT_LOCKED', (seconds) => `Too many failed attempts. Try again in ${seconds} s.`)
    }
    return record !== null
  }

  async recordFailure (email: string, now: Date): Promise<void> {
    // Its own lock key: callers may already hold the account's lock.
    await this.locks.withLock(`failures:${email}`, async () => {
      const count = ((await this.#records.findOne({ _id: email }))?.count ?? 0) + 1
      const seconds = lockoutAfter(count, this.policy)
      const lockedUntil = seconds > 0 ? new Date(now.getTime() + seconds * 1000) : null
      await this.#records.updateOne({ _id: email }, { $set: { count, lockedUntil } }, { upsert: true })
    })
  }

  async clear (email: string): Promise<void> {
    await this.#records.deleteOne({ _id: email })
  }
}
