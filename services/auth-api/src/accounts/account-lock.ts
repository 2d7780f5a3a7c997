import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Collection, Db } from 'mongodb'
import { insertIfAbsent } from '@latchkey/shared'
import { ApiError } from '../http/errors.js'

interface LockDocument {
  _id: string
  owner: string
  expiresAt: Date
}

/**
 * A mutual-exclusion lock per account, built on the one write every MongoDB-compatible
 * server does atomically: inserting a document whose _id already exists fails.
 *
 * It exists because FerretDB v1 applies an update as read-modify-write without isolation:
 * two concurrent `$inc`s on one document can lose one, and two guarded `updateOne`s can both
 * "match". Every change to an account document runs under this lock, so code attempts,
 * single use, mail quotas and outbox leases hold on FerretDB exactly as on MongoDB.
 */
export class AccountLocks {
  readonly #locks: Collection<LockDocument>

  // Wall-clock time on purpose: tests move the application clock, not lock expiry.
  // A hold well above the worst critical section (a few operations, each allowed 3 s to find the
  // server), so a slow holder is not taken for a dead one; only a crashed holder's lock runs out.
  constructor (db: Db, private readonly holdMs = 30_000, private readonly waitMs = 5_000) {
    this.#locks = db.collection<LockDocument>('account_locks')
  }

  /** Runs `critical` while holding the lock of the account with this (normalised) email. */
  async withLock<T> (key: string, critical: () => Promise<T>): Promise<T> {
    const owner = randomUUID()
    await this.#acquire(key, owner)
    try {
      return await critical()
    } finally {
      await this.#locks.deleteOne({ _id: key, owner }).catch(() => {})
    }
  }

  async #acquire (key: string, owner: string): Promise<void> {
    const giveUpAt = Date.now() + this.waitMs
    while (Date.now() < giveUpAt) {
      if (await insertIfAbsent(this.#locks, { _id: key, owner, expiresAt: new Date(Date.now() + this.holdMs) })) return
      await this.#breakIfAbandoned(key)
      await sleep(2 + Math.random() * 8)
    }
    throw new ApiError(503, 'BUSY', 'This account is busy with another request. Try again.', {}, { 'retry-after': '1' })
  }

  /** A holder that crashed never releases; its lock counts as abandoned once it expires. */
  async #breakIfAbandoned (key: string): Promise<void> {
    const held = await this.#locks.findOne({ _id: key })
    if (held && held.expiresAt.getTime() <= Date.now()) {
      await this.#locks.deleteOne({ _id: key, owner: held.owner })
    }
  }
}
