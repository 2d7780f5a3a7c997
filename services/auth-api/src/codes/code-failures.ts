import { type CodePurpose, isDuplicateKey } from '@latchkey/shared'
import type { Collection, Db } from 'mongodb'
import { untilSettled } from '../accounts/accounts-store.js'
import { refusedUntil } from '../refusal.js'

const WINDOW_MS = 86_400_000

/** Wrong codes of one purpose for one address within a 24-hour window that began with the first of them. */
interface FailureWindow {
  /** `<purpose>:<normalised address>` */
  _id: string
  failures: number
  windowEndsAt: Date
  /** The TTL index (and the retention sweep) remove windows that ended. */
  expiresAt: Date
}

/**
 * The cap that crosses codes. Each code has its own few tries, but a new code is cheap to ask
 * for (a resend, a re-registration, another /password/forgot), so without this a patient guesser
 * would get fresh tries forever. Every try reserves a failure here before its code is compared,
 * so a burst evaluates no more than the cap; only a match gives its reservation back. Once the
 * window holds CODE_FAILURES_PER_DAY failures, the purpose issues and checks no code for the
 * address until the window ends (NIST SP 800-63B-4 §3.1.3.2: a new secret never resets the
 * count). Windows are kept per address, whether or not it has an account, so the cap answers the
 * same for every address.
 */
export class CodeFailures {
  readonly #collection: Collection<FailureWindow>

  constructor (db: Db, readonly perDay: number) {
    this.#collection = db.collection<FailureWindow>('code_failures')
  }

  async ensureIndexes (): Promise<void> {
    await this.#collection.createIndex({ expiresAt: 1 }, { name: 'expiry', expireAfterSeconds: 0 })
  }

  /** Refuses (429 CODE_FAILURE_LIMIT, with Retry-After) while the address's window for the purpose is full. */
  async assertOpen (purpose: CodePurpose, address: string, now: Date): Promise<void> {
    const window = await this.#collection.findOne({ _id: keyOf(purpose, address) })
    if (window && window.windowEndsAt > now && window.failures >= this.perDay) throw full(window, now)
  }

  /** Counts one try as failed before it is evaluated; refused while the window is full. */
  async reserve (purpose: CodePurpose, address: string, now: Date): Promise<void> {
    const _id = keyOf(purpose, address)
    const { matchedCount } = await this.#collection.updateOne({ _id, failures: { $lt: this.perDay }, windowEndsAt: { $gt: now } }, { $inc: { failures: 1 } })
    if (matchedCount === 1) return
    await untilSettled(async () => {
      const window = await this.#collection.findOne({ _id })
      const fresh = { failures: 1, windowEndsAt: new Date(now.getTime() + WINDOW_MS), expiresAt: new Date(now.getTime() + WINDOW_MS) }
      if (!window) return await this.#collection.insertOne({ _id, ...fresh }).then(() => true, (err: unknown) => { if (isDuplicateKey(err)) return undefined; throw err })
      if (window.windowEndsAt > now) {
        if (window.failures >= this.perDay) throw full(window, now)
        const counted = await this.#collection.updateOne({ _id, failures: window.failures, windowEndsAt: window.windowEndsAt }, { $inc: { failures: 1 } })
        return counted.matchedCount === 1 ? true : undefined
      }
      const restarted = await this.#collection.updateOne({ _id, windowEndsAt: window.windowEndsAt }, { $set: fresh })
      return restarted.matchedCount === 1 ? true : undefined
    })
  }

  /** The try matched: it was no failure after all. */
  async refund (purpose: CodePurpose, address: string): Promise<void> {
    await this.#collection.updateOne({ _id: keyOf(purpose, address), failures: { $gt: 0 } }, { $inc: { failures: -1 } })
  }

  async removeExpired (now: Date): Promise<number> {
    return (await this.#collection.deleteMany({ expiresAt: { $lte: now } })).deletedCount
  }
}

function keyOf (purpose: CodePurpose, address: string): string {
  return `${purpose}:${address}`
}

function full (window: FailureWindow, now: Date) {
  return refusedUntil('CODE_FAILURE_LIMIT', window.windowEndsAt, now, (seconds) => `Too many wrong codes for this address. Try again in ${seconds} s.`)
}
