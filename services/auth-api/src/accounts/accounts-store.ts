import type { Collection, Db, Filter, UpdateFilter } from 'mongodb'
import type { AccountDocument, AccountStatus, OutboxEntry, SignedInAccount } from './account.js'
import { isDuplicateKey } from '@latchkey/shared'

/** One round of a read-decide-write: the answer without writing, or a write guarded by what it was decided on. */
export type Decision<T> =
  | { done: T }
  | {
    /** What the decision rests on; the write lands only while the account still matches it. */
    expected: Filter<AccountDocument>
    update: UpdateFilter<AccountDocument>
    now: Date
    /** The answer from the account as the write left it; the account itself by default. (Not `then`: an object with a `then` is a thenable to `await`.) */
    result?: (after: AccountDocument) => T
  }

/** Decides on the account as it now is (null once it is gone); may throw a refusal. */
export type Decide<T, V extends Pick<AccountDocument, '_id'> = AccountDocument> = (current: V | AccountDocument | null) => Decision<T> | Promise<Decision<T>>

/** What a relay claimed: the events to publish, as they stood when claimed. */
export type ClaimedOutbox = Pick<AccountDocument, '_id' | 'status' | 'outbox' | 'outboxAttempts'> & { outboxClaim: string }

const clearedOutbox = { outboxDueAt: '', outboxLeaseUntil: '', outboxClaim: '', outboxAttempts: '' } as const
const listedStatuses: AccountStatus[] = ['pending', 'active', 'disabled']

/**
 * The `users` collection, and every query on it. Every change is one atomic single-document write
 * whose filter states what the change was decided on (the status, the code, the quota…): if
 * another request changed that meanwhile, the write matches nothing and `settle` decides again on
 * a fresh read.
 */
export class AccountStore {
  readonly #collection: Collection<AccountDocument>

  constructor (db: Db) {
    this.#collection = db.collection<AccountDocument>('users')
  }

  /** One index per lookup the API makes; see README, "Data". */
  async ensureIndexes (): Promise<void> {
    await this.#collection.createIndexes([
      { key: { email: 1 }, name: 'email', unique: true },
      { key: { outboxDueAt: 1 }, name: 'outbox-due', sparse: true },
      { key: { purgeAt: 1 }, name: 'purge', sparse: true },
      { key: { status: 1, createdAt: -1 }, name: 'admin-by-status' },
      { key: { createdAt: -1 }, name: 'admin-newest' }
    ])
  }

  async byId (id: string): Promise<AccountDocument | null> {
    return await this.#collection.findOne({ _id: id })
  }

  /** The account as authenticated routes use it: without the outbox, codes and quotas they never read. */
  async signedIn (id: string): Promise<SignedInAccount | null> {
    return await this.#collection.findOne<SignedInAccount>({ _id: id }, { projection: { outbox: 0, codes: 0, mailQuota: 0 } })
  }

  async byEmail (email: string): Promise<AccountDocument | null> {
    return await this.#collection.findOne({ email })
  }

  /** Inserts a new account; false when its address is taken (the unique index refused it). */
  async insert (account: AccountDocument): Promise<boolean> {
    try {
      await this.#collection.insertOne(account)
      return true
    } catch (err) {
      if (isDuplicateKey(err)) return false
      throw err
    }
  }

  /** Applies `update` if the account still matches `expected`: the account after it, or null when it no longer matched. */
  async updateAndGet (id: string, expected: Filter<AccountDocument>, update: UpdateFilter<AccountDocument>, now: Date): Promise<AccountDocument | null> {
    return await this.#collection.findOneAndUpdate({ ...expected, _id: id }, stamped(update, now), { returnDocument: 'after' })
  }

  /** As `updateAndGet`, for a caller that needs only to know whether it applied: nothing comes back. */
  async updateIf (id: string, expected: Filter<AccountDocument>, update: UpdateFilter<AccountDocument>, now: Date): Promise<boolean> {
    return (await this.#collection.updateOne({ ...expected, _id: id }, stamped(update, now))).matchedCount === 1
  }

  /**
   * The read-decide-write loop: `decide` looks at the account (`first`, then a fresh read after
   * each write that matched nothing) and either answers or names a guarded write. Guards are
   * written so that only a real change of the facts decided on can fail them, so a second round
   * settles it; the bound only stops a bug from spinning.
   */
  async settle<T = AccountDocument, V extends Pick<AccountDocument, '_id'> = AccountDocument> (id: string, first: V | null, decide: Decide<T, V>, rounds = 8): Promise<T> {
    let current: V | AccountDocument | null = first
    for (let round = 0; round < rounds; round++) {
      const decision = await decide(current)
      if ('done' in decision) return decision.done
      const after = await this.updateAndGet(id, decision.expected, decision.update, decision.now)
      if (after) return decision.result ? decision.result(after) : after as T
      current = await this.byId(id)
    }
    throw new Error(`account ${id} kept changing under ${rounds} consecutive decisions`)
  }

  /** Administrators' listing: newest first, a page at a time, with the total. */
  async page ({ status, page, perPage }: { status?: AccountStatus | undefined, page: number, perPage: number }): Promise<{ accounts: AccountDocument[], total: number }> {
    const filter: Filter<AccountDocument> = { status: status ?? { $in: listedStatuses } }
    const [accounts, total] = await Promise.all([
      this.#collection.find(filter).sort({ createdAt: -1 }).skip((page - 1) * perPage).limit(perPage).toArray(),
      this.#collection.countDocuments(filter)
    ])
    return { accounts, total }
  }

  /** Removes accounts past their purge time whose outbox is empty: an event already accepted is never dropped with them. */
  async removePurgeable (now: Date): Promise<number> {
    return (await this.#collection.deleteMany({ purgeAt: { $lte: now }, outboxDueAt: { $exists: false } })).deletedCount
  }

  // The outbox (see events/outbox-relay.ts): claims, clears and retries, each one guarded write.

  /** Accounts whose outbox is due, most overdue first. */
  async dueOutboxes (now: Date, limit: number): Promise<string[]> {
    const due = await this.#collection.find({ outboxDueAt: { $lte: now } }, { projection: { _id: 1 } }).sort({ outboxDueAt: 1 }).limit(limit).toArray()
    return due.map(({ _id }) => _id)
  }

  /** Takes a due outbox that nobody holds, until `leaseUntil`. */
  async claimOutbox (id: string, now: Date, leaseUntil: Date, claim: string): Promise<ClaimedOutbox | null> {
    const claimed = await this.#collection.findOneAndUpdate(
      { _id: id, outboxDueAt: { $lte: now }, outboxLeaseUntil: { $not: { $gt: now } } },
      { $set: { outboxLeaseUntil: leaseUntil, outboxClaim: claim } },
      { returnDocument: 'after', projection: { status: 1, outbox: 1, outboxAttempts: 1, outboxClaim: 1 } }
    )
    return claimed?.outboxClaim ? { ...claimed, outboxClaim: claimed.outboxClaim } : null
  }

  /**
   * Everything claimed went out. If nothing was added meanwhile (the outbox is exactly what was
   * claimed), one write empties it, or removes a deleted account's tombstone, which lived only to
   * carry its events out. False when something was added: the caller removes what it published.
   */
  async clearPublished (claimed: ClaimedOutbox): Promise<boolean> {
    const unchanged = { _id: claimed._id, outboxClaim: claimed.outboxClaim, outbox: claimed.outbox }
    if (claimed.status === 'deleted') return (await this.#collection.deleteOne({ ...unchanged, status: 'deleted' })).deletedCount === 1
    return (await this.#collection.updateOne(unchanged, { $set: { outbox: {} }, $unset: clearedOutbox })).matchedCount === 1
  }

  /** Removes published events; whatever was added meanwhile stays, and stays due. */
  async removeEvents (id: string, eventIds: string[]): Promise<void> {
    if (eventIds.length === 0) return
    await this.#collection.updateOne({ _id: id }, { $unset: Object.fromEntries(eventIds.map((eventId) => [`outbox.${eventId}`, '' as const])) })
  }

  /** Gives a claim up; an outbox left empty is no longer due. */
  async releaseOutbox (claimed: Pick<ClaimedOutbox, '_id' | 'outboxClaim'>): Promise<void> {
    await this.#collection.updateOne({ _id: claimed._id, outboxClaim: claimed.outboxClaim }, { $unset: { outboxLeaseUntil: '', outboxClaim: '' } })
    await this.#collection.updateOne({ _id: claimed._id, outbox: {} }, { $unset: clearedOutbox })
  }

  /** Moves events the broker refused for their content out of the outbox, under the claim. */
  async parkEvents (claimed: Pick<ClaimedOutbox, '_id' | 'outboxClaim'>, events: Record<string, OutboxEntry>): Promise<void> {
    const ids = Object.keys(events)
    await this.#collection.updateOne({ _id: claimed._id, outboxClaim: claimed.outboxClaim }, {
      $set: Object.fromEntries(ids.map((id) => [`outboxParked.${id}`, events[id]!])),
      $unset: Object.fromEntries(ids.map((id) => [`outbox.${id}`, '' as const]))
    })
  }

  /** Publishing failed: due again at `dueAt`, and the claim given up. */
  async retryOutboxAt (claimed: Pick<ClaimedOutbox, '_id' | 'outboxClaim'>, dueAt: Date, attempts: number): Promise<void> {
    await this.#collection.updateOne(
      { _id: claimed._id, outboxClaim: claimed.outboxClaim },
      { $set: { outboxDueAt: dueAt, outboxAttempts: attempts }, $unset: { outboxLeaseUntil: '', outboxClaim: '' } }
    )
  }

  /** Accounts with events not yet published. */
  async pendingOutboxes (): Promise<number> {
    return await this.#collection.countDocuments({ outboxDueAt: { $exists: true } })
  }

  /** When the oldest unpublished event was written; undefined when none waits. */
  async oldestPendingEvent (): Promise<Date | undefined> {
    const oldest = await this.#collection.findOne({ outboxDueAt: { $exists: true } }, { sort: { outboxDueAt: 1 }, projection: { outbox: 1 } })
    const created = Object.values(oldest?.outbox ?? {}).map((entry) => entry.createdAt.getTime())
    return created.length > 0 ? new Date(Math.min(...created)) : undefined
  }
}

function stamped (update: UpdateFilter<AccountDocument>, now: Date): UpdateFilter<AccountDocument> {
  return { ...update, $set: { ...update.$set, updatedAt: now } }
}

/**
 * Runs a read-decide-write until its guarded write lands. `attempt` returns `undefined` when its
 * write matched nothing (someone changed the record first); it then runs again on a fresh read.
 * For records other than accounts (sign-in attempts, code failures); accounts use `settle`.
 */
export async function untilSettled<T> (attempt: () => Promise<T | undefined>, rounds = 8): Promise<T> {
  for (let round = 0; round < rounds; round++) {
    const result = await attempt()
    if (result !== undefined) return result
  }
  throw new Error(`a record kept changing under ${rounds} consecutive decisions`)
}

/** Merges the operators of several updates into one write. */
export function combine (...updates: Array<UpdateFilter<AccountDocument>>): UpdateFilter<AccountDocument> {
  const merged: Record<string, Record<string, unknown>> = {}
  for (const update of updates) {
    for (const [operator, fields] of Object.entries(update)) merged[operator] = { ...merged[operator], ...(fields as Record<string, unknown>) }
  }
  return merged as UpdateFilter<AccountDocument>
}
