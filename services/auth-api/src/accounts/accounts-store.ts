import type { Collection, Db, Filter, UpdateFilter } from 'mongodb'
import type { AccountDocument, SignedInAccount } from './account.js'
import { isDuplicateKey } from '../storage/database.js'

/**
 * The `users` collection. Every change is one atomic single-document write whose filter states
 * what the change was decided on (the status, the code, the quota…): if another request changed
 * that meanwhile, the write matches nothing and the caller decides again on a fresh read.
 */
export class AccountStore {
  readonly collection: Collection<AccountDocument>

  constructor (db: Db) {
    this.collection = db.collection<AccountDocument>('users')
  }

  /** One index per lookup the API makes; see README, "Data". */
  async ensureIndexes (): Promise<void> {
    await this.collection.createIndexes([
      { key: { email: 1 }, name: 'email', unique: true },
      { key: { outboxDueAt: 1 }, name: 'outbox-due', sparse: true },
      { key: { purgeAt: 1 }, name: 'purge', sparse: true },
      { key: { status: 1, createdAt: -1 }, name: 'admin-by-status' },
      { key: { createdAt: -1 }, name: 'admin-newest' }
    ])
  }

  async byId (id: string): Promise<AccountDocument | null> {
    return await this.collection.findOne({ _id: id })
  }

  /** The account as authenticated routes use it: without the outbox, codes and quotas they never read. */
  async signedIn (id: string): Promise<SignedInAccount | null> {
    return await this.collection.findOne<SignedInAccount>({ _id: id }, { projection: { outbox: 0, codes: 0, mailQuota: 0 } })
  }

  async byEmail (email: string): Promise<AccountDocument | null> {
    return await this.collection.findOne({ email })
  }

  /** Inserts a new account; false when its address is taken (the unique index refused it). */
  async insert (account: AccountDocument): Promise<boolean> {
    try {
      await this.collection.insertOne(account)
      return true
    } catch (err) {
      if (isDuplicateKey(err)) return false
      throw err
    }
  }

  /** Applies `update` if the account still matches `expected`; the account after it, or null when it no longer matched. */
  async update (id: string, expected: Filter<AccountDocument>, update: UpdateFilter<AccountDocument>, now: Date): Promise<AccountDocument | null> {
    return await this.collection.findOneAndUpdate({ ...expected, _id: id }, stamped(update, now), { returnDocument: 'after' })
  }

  /** As `update`, for a caller that needs only to know whether it applied: nothing comes back. */
  async apply (id: string, expected: Filter<AccountDocument>, update: UpdateFilter<AccountDocument>, now: Date): Promise<boolean> {
    return (await this.collection.updateOne({ ...expected, _id: id }, stamped(update, now))).matchedCount === 1
  }
}

function stamped (update: UpdateFilter<AccountDocument>, now: Date): UpdateFilter<AccountDocument> {
  return { ...update, $set: { ...update.$set, updatedAt: now } }
}

/**
 * Runs a read-decide-write until its guarded write lands. `attempt` returns `undefined` when its
 * write matched nothing (someone changed the account first); it then runs again on a fresh read.
 * Guards are written so that only a real change of the facts decided on can fail them, so a
 * second round settles it; the bound only stops a bug from spinning.
 */
export async function untilSettled<T> (attempt: () => Promise<T | undefined>, rounds = 8): Promise<T> {
  for (let round = 0; round < rounds; round++) {
    const result = await attempt()
    if (result !== undefined) return result
  }
  throw new Error(`an account kept changing under ${rounds} consecutive decisions`)
}

/** Merges the operators of several updates into one write. */
export function combine (...updates: Array<UpdateFilter<AccountDocument>>): UpdateFilter<AccountDocument> {
  const merged: Record<string, Record<string, unknown>> = {}
  for (const update of updates) {
    for (const [operator, fields] of Object.entries(update)) merged[operator] = { ...merged[operator], ...(fields as Record<string, unknown>) }
  }
  return merged as UpdateFilter<AccountDocument>
}
