import type { Collection, Db } from 'mongodb'
import type { CloudEvent } from '@latchkey/shared'
import type { StoredCode } from '../codes/one-time-code.js'

export type AccountStatus = 'pending' | 'active' | 'disabled'
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
  _id: string
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
  outboxSeq: number
  outboxPending: boolean
  outboxLeaseUntil: Date | null
  outboxLeaseOwner?: string
  outboxAttempts: number
}

export function outboxEntry (event: CloudEvent, correlationId: string, now: Date): OutboxEntry {
  return { type: event.type, body: JSON.stringify(event), correlationId, createdAt: now }
}

export function utcDay (now: Date): string {
  return now.toISOString().slice(0, 10)
}

export interface CodeMailLimits {
  resendIntervalSeconds: number
  mailsPerDay: number
}

export type IssueOutcome =
  | { kind: 'issued', user: UserDocument }
  | { kind: 'not-pending' }
  | { kind: 'cooldown', retryAt: Date }
  | { kind: 'daily-cap', retryAt: Date }

export interface IssueRequest {
  userId: string
  slot: CodeSlot
  code: StoredCode
  event: CloudEvent
  correlationId: string
  now: Date
  /** Re-registration may send a fresh code at once; an explicit resend waits for the cooldown. */
  enforceCooldown: boolean
  /** Only pending accounts get activation codes; resets go to active ones. */
  requiredStatus: AccountStatus
  extraSet?: Record<string, unknown>
}

export class UsersRepository {
  readonly collection: Collection<UserDocument>

  constructor (db: Db, private readonly limits: CodeMailLimits) {
    this.collection = db.collection<UserDocument>('users')
  }

  async ensureIndexes (): Promise<void> {
    await this.collection.createIndex({ email: 1 }, { unique: true, name: 'email_unique' })
    await this.collection.createIndex({ outboxPending: 1 }, { name: 'outbox_pending' })
  }

  async findByEmail (email: string): Promise<UserDocument | null> {
    return await this.collection.findOne({ email })
  }

  async findById (id: string): Promise<UserDocument | null> {
    return await this.collection.findOne({ _id: id })
  }

  newPendingUser (fields: { id: string, email: string, passwordHash: string, code: StoredCode, event: CloudEvent, correlationId: string, now: Date }): UserDocument {
    const { id, email, passwordHash, code, event, correlationId, now } = fields
    return {
      _id: id,
      email,
      passwordHash,
      status: 'pending',
      roles: ['user'],
      createdAt: now,
      updatedAt: now,
      activatedAt: null,
      activationCode: code,
      resetCode: null,
      codeMail: { day: utcDay(now), sentToday: 1, nextAllowedAt: this.#cooldownEnd(now) },
      outbox: { [event.id]: outboxEntry(event, correlationId, now) },
      outboxSeq: 1,
      outboxPending: true,
      outboxLeaseUntil: null,
      outboxAttempts: 0
    }
  }

  /** Inserts; false when the address is already taken (unique index). */
  async insert (user: UserDocument): Promise<boolean> {
    try {
      await this.collection.insertOne(user)
      return true
    } catch (err) {
      if ((err as { code?: number }).code === 11000) return false
      throw err
    }
  }

  /**
   * Stores a new code and its mail event in one single-document write, within the mail
   * quota. Two guarded updates stand in for a conditional reset of the daily counter,
   * which FerretDB's update language cannot express in one statement.
   */
  async issueCode (request: IssueRequest): Promise<IssueOutcome> {
    const { userId, slot, code, event, correlationId, now, enforceCooldown, requiredStatus } = request
    const today = utcDay(now)
    const base = {
      _id: userId,
      status: requiredStatus,
      ...(enforceCooldown ? { 'codeMail.nextAllowedAt': { $lte: now } } : {})
    }
    const set = {
      [slot]: code,
      updatedAt: now,
      [`outbox.${event.id}`]: outboxEntry(event, correlationId, now),
      outboxPending: true,
      ...request.extraSet
    }
    const sameDay = await this.collection.findOneAndUpdate(
      { ...base, 'codeMail.day': today, 'codeMail.sentToday': { $lt: this.limits.mailsPerDay } },
      { $set: { ...set, 'codeMail.nextAllowedAt': this.#cooldownEnd(now) }, $inc: { 'codeMail.sentToday': 1, outboxSeq: 1 } },
      { returnDocument: 'after' }
    )
    if (sameDay) return { kind: 'issued', user: sameDay }
    const newDay = await this.collection.findOneAndUpdate(
      { ...base, 'codeMail.day': { $ne: today } },
      { $set: { ...set, codeMail: { day: today, sentToday: 1, nextAllowedAt: this.#cooldownEnd(now) } }, $inc: { outboxSeq: 1 } },
      { returnDocument: 'after' }
    )
    if (newDay) return { kind: 'issued', user: newDay }
    return await this.#whyNotIssued(userId, requiredStatus, enforceCooldown, now)
  }

  async #whyNotIssued (userId: string, requiredStatus: AccountStatus, enforceCooldown: boolean, now: Date): Promise<IssueOutcome> {
    const user = await this.findById(userId)
    if (!user || user.status !== requiredStatus) return { kind: 'not-pending' }
    if (enforceCooldown && user.codeMail.nextAllowedAt > now) return { kind: 'cooldown', retryAt: user.codeMail.nextAllowedAt }
    if (user.codeMail.day === utcDay(now) && user.codeMail.sentToday >= this.limits.mailsPerDay) {
      return { kind: 'daily-cap', retryAt: new Date(`${utcDay(new Date(now.getTime() + 86_400_000))}T00:00:00.000Z`) }
    }
    // Another request changed the document between our two guarded writes: the caller retries.
    return { kind: 'not-pending' }
  }

  /**
   * Counts one attempt against the pending code before it is compared, atomically, so
   * parallel guesses cannot exceed the limit. Null when no attempt is left or the code is gone.
   */
  async countAttempt (userId: string, slot: CodeSlot, maxAttempts: number, now: Date): Promise<UserDocument | null> {
    return await this.collection.findOneAndUpdate(
      { _id: userId, [`${slot}.expiresAt`]: { $gt: now }, [`${slot}.attempts`]: { $lt: maxAttempts } },
      { $inc: { [`${slot}.attempts`]: 1 }, $set: { updatedAt: now } },
      { returnDocument: 'after' }
    )
  }

  /** Consumes the activation code exactly once: of two concurrent callers, one wins. */
  async activate (userId: string, codeHash: string, now: Date): Promise<boolean> {
    const result = await this.collection.updateOne(
      { _id: userId, status: 'pending', 'activationCode.hash': codeHash },
      { $set: { status: 'active', activatedAt: now, activationCode: null, updatedAt: now } }
    )
    return result.modifiedCount === 1
  }

  #cooldownEnd (now: Date): Date {
    return new Date(now.getTime() + this.limits.resendIntervalSeconds * 1000)
  }
}
