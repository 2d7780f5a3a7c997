import type { Collection, Db, UpdateFilter } from 'mongodb'
import { insertIfAbsent, type CloudEvent } from '@latchkey/shared'
import type { StoredCode } from '../codes/one-time-code.js'
import { AccountLocks } from './account-lock.js'

export type AccountStatus = 'pending' | 'active' | 'disabled' | 'deleted'
export type Role = 'user' | 'admin'
export type CodeSlot = 'activationCode' | 'resetCode'

/** An event waiting, inside the document it belongs to, for the relay to publish it. */
export interface OutboxEntry {
  type: string
  /** The CloudEvent, serialised: event data may hold keys MongoDB-compatible stores reject. */
  body: string
  correlationId: string
  createdAt: Date
}

/** Limits on code mails per account: a cooldown between two, and a count per UTC day. */
export interface CodeMailQuota {
  day: string
  sentToday: number
  nextAllowedAt: Date
}

export interface UserDocument {
  /**
   * The normalised email address, which is also `email`. Accounts are keyed by it because
   * FerretDB's SQLite backend pushes only `_id` filters down to an index: any other lookup
   * reads the whole collection, and sign-in looks accounts up by address.
   */
  _id: string
  /** The account's stable id (`sub` in tokens, `userId` in events); it never changes. */
  id: string
  email: string
  passwordHash: string
  status: AccountStatus
  roles: Role[]
  createdAt: Date
  updatedAt: Date
  activatedAt: Date | null
  activationCode: StoredCode | null
  resetCode: StoredCode | null
  codeMail: CodeMailQuota
  outbox: Record<string, OutboxEntry>
  outboxPending: boolean
  outboxLeaseUntil: Date | null
  outboxLeaseOwner?: string
  outboxAttempts: number
  /**
   * Goes up whenever every session must end (password change or reset, disabling). Tokens
   * carry the value they were issued under and stop working once it moves on.
   */
  sessionVersion?: number
}

export interface CodeMailLimits {
  resendIntervalSeconds: number
  mailsPerDay: number
}

export type QuotaDecision =
  | { kind: 'allowed', codeMail: CodeMailQuota }
  | { kind: 'cooldown', retryAt: Date }
  | { kind: 'daily-cap', retryAt: Date }

export function utcDay (now: Date): string {
  return now.toISOString().slice(0, 10)
}

function startOfNextUtcDay (now: Date): Date {
  return new Date(`${utcDay(new Date(now.getTime() + 86_400_000))}T00:00:00.000Z`)
}

/** Whether one more code mail may go to this account now, and the quota after it. */
export function takeCodeMail (quota: CodeMailQuota | undefined, now: Date, limits: CodeMailLimits, enforceCooldown: boolean): QuotaDecision {
  const today = utcDay(now)
  const sentToday = quota?.day === today ? quota.sentToday : 0
  if (enforceCooldown && quota && quota.nextAllowedAt > now) return { kind: 'cooldown', retryAt: quota.nextAllowedAt }
  if (sentToday >= limits.mailsPerDay) return { kind: 'daily-cap', retryAt: startOfNextUtcDay(now) }
  return {
    kind: 'allowed',
    codeMail: { day: today, sentToday: sentToday + 1, nextAllowedAt: new Date(now.getTime() + limits.resendIntervalSeconds * 1000) }
  }
}

/** CloudEvents `source` of everything auth-api publishes. */
export const EVENT_SOURCE = '/latchkey/auth-api'

export function outboxEntry (event: CloudEvent, correlationId: string, now: Date): OutboxEntry {
  return { type: event.type, body: JSON.stringify(event), correlationId, createdAt: now }
}

/** A fresh account document; the caller adds what its way of creating accounts needs. */
export function newAccount (fields: Pick<UserDocument, 'id' | 'email' | 'passwordHash' | 'status' | 'roles' | 'codeMail'> & Partial<UserDocument>, now: Date): UserDocument {
  return {
    _id: fields.email,
    createdAt: now,
    updatedAt: now,
    activatedAt: null,
    activationCode: null,
    resetCode: null,
    outbox: {},
    outboxPending: false,
    outboxLeaseUntil: null,
    outboxAttempts: 0,
    ...fields
  }
}

export class UsersRepository {
  readonly collection: Collection<UserDocument>
  readonly locks: AccountLocks

  constructor (db: Db, readonly limits: CodeMailLimits) {
    this.collection = db.collection<UserDocument>('users')
    this.locks = new AccountLocks(db)
  }

  async ensureIndexes (): Promise<void> {
    // Not unique: a deleted account's tombstone briefly shares the id with the account it replaces.
    await this.collection.createIndex({ id: 1 }, { name: 'id' })
  }

  async findByEmail (email: string): Promise<UserDocument | null> {
    return await this.collection.findOne({ _id: email })
  }

  /** By account id: for administration; the hot paths look accounts up by address. */
  async findById (id: string): Promise<UserDocument | null> {
    return await this.collection.findOne({ id })
  }

  /**
   * Runs a read-decide-write on one account with nobody else changing it meanwhile.
   * Every write to an account document goes through here (see AccountLocks for why).
   */
  async withAccount<T> (email: string, change: (user: UserDocument | null) => Promise<T>): Promise<T> {
    return await this.locks.withLock(`account:${email}`, async () => await change(await this.findByEmail(email)))
  }

  /** Inserts a new account; false when its address is taken (its `_id` exists). */
  async insert (user: UserDocument): Promise<boolean> {
    return await insertIfAbsent(this.collection, user)
  }

  async update (user: UserDocument, update: UpdateFilter<UserDocument>, now: Date): Promise<UserDocument> {
    const updated = await this.collection.findOneAndUpdate(
      { _id: user._id },
      { ...update, $set: { ...update.$set, updatedAt: now } },
      { returnDocument: 'after' }
    )
    if (!updated) throw new Error(`account ${user.id} vanished while locked`)
    return updated
  }
}
