import { randomUUID } from 'node:crypto'
import { createEvent, EventTypes, type CodeDeliveryData, type EventType } from '@latchkey/shared'
import type { FastifyInstance } from 'fastify'
import { isPlausibleEmail, normalizeEmail } from '../accounts/email-address.js'
import { appendToOutbox, newAccount, outboxEntry, takeCodeMail, type CodeSlot, type QuotaDecision, type UserDocument } from '../accounts/users.js'
import type { CodePurpose } from '../codes/one-time-code.js'
import { assertAcceptablePassword } from '../credentials/passwords.js'
import { ApiError } from '../http/errors.js'

export const EVENT_SOURCE = '/latchkey/auth-api'

export interface Registration {
  created: boolean
  user: UserDocument
}

/**
 * Creates a pending account, or gives a pending one a new password and a fresh code (the
 * last registration wins). The account and its `user.registered` event are written in one
 * single-document write, so the event cannot be lost between the database and the broker.
 */
export async function registerAccount (app: FastifyInstance, rawEmail: string, password: string, requestId: string): Promise<Registration> {
  const email = normalizeEmail(rawEmail)
  if (!isPlausibleEmail(email)) {
    throw new ApiError(400, 'EMAIL_INVALID', 'This does not look like an email address.', { field: 'email' })
  }
  assertAcceptablePassword(password)
  // Hashing is the slow part: it happens before taking the account lock.
  const passwordHash = await app.passwords.hash(password)

  return await app.users.withAccount(email, async (existing) => {
    const now = app.clock()
    if (!existing) return { created: true, user: await createPendingAccount(app, email, passwordHash, requestId, now) }
    if (existing.status !== 'pending') {
      throw new ApiError(409, 'EMAIL_TAKEN', 'An account with this email already exists. Sign in instead.')
    }
    const user = await issueCode(app, existing, {
      slot: 'activationCode', purpose: 'activation', eventType: EventTypes.userRegistered, requestId, now, enforceCooldown: false
    }, { passwordHash })
    return { created: false, user }
  })
}

async function createPendingAccount (app: FastifyInstance, email: string, passwordHash: string, requestId: string, now: Date): Promise<UserDocument> {
  const id = randomUUID()
  const { code, stored } = app.codes.issue('activation', email, now)
  const event = codeEvent(EventTypes.userRegistered, { userId: id, email, code, codeExpiresAt: stored.expiresAt.toISOString() })
  const quota = takeCodeMail(undefined, now, app.users.limits, false) as Extract<QuotaDecision, { kind: 'allowed' }>
  const user = newAccount({
    _id: id,
    email,
    passwordHash,
    status: 'pending',
    roles: ['user'],
    activationCode: stored,
    codeMail: quota.codeMail,
    outbox: { [event.id]: outboxEntry(event, requestId, now) },
    outboxSeq: 1,
    outboxPending: true
  }, now)
  await app.users.insert(user)
  return user
}

export interface CodeIssue {
  slot: CodeSlot
  purpose: CodePurpose
  eventType: EventType
  requestId: string
  now: Date
  /** A re-registration may send a fresh code at once; an explicit resend waits for the cooldown. */
  enforceCooldown: boolean
}

/**
 * Replaces the account's pending code in `slot` and queues the mail carrying it, within the
 * account's mail quota. Call it while holding the account (UsersRepository.withAccount).
 */
export async function issueCode (app: FastifyInstance, user: UserDocument, issue: CodeIssue, extraFields: Partial<UserDocument> = {}): Promise<UserDocument> {
  const { slot, purpose, eventType, requestId, now, enforceCooldown } = issue
  const quota = takeCodeMail(user.codeMail, now, app.users.limits, enforceCooldown)
  if (quota.kind === 'cooldown') {
    const seconds = secondsUntil(quota.retryAt, now)
    throw new ApiError(429, 'RESEND_TOO_SOON', `Wait ${seconds} s before asking for another code.`, { retry_after_seconds: seconds }, { 'retry-after': String(seconds) })
  }
  if (quota.kind === 'daily-cap') {
    const seconds = secondsUntil(quota.retryAt, now)
    throw new ApiError(429, 'CODE_MAIL_LIMIT', 'Too many codes were sent to this account today. Try again tomorrow.', { retry_after_seconds: seconds }, { 'retry-after': String(seconds) })
  }
  const { code, stored } = app.codes.issue(purpose, user.email, now)
  const event = codeEvent(eventType, { userId: user._id, email: user.email, code, codeExpiresAt: stored.expiresAt.toISOString() })
  return await app.users.update(user, {
    $set: { ...extraFields, [slot]: stored, codeMail: quota.codeMail, ...appendToOutbox(user, event, requestId, now) }
  }, now)
}

function codeEvent (type: EventType, data: CodeDeliveryData) {
  return createEvent(type, EVENT_SOURCE, data, data.userId)
}

export function secondsUntil (moment: Date, now: Date): number {
  return Math.max(1, Math.ceil((moment.getTime() - now.getTime()) / 1000))
}
