import { randomUUID } from 'node:crypto'
import { createEvent, EventTypes, type CodeDeliveryData } from '@latchkey/shared'
import type { FastifyInstance } from 'fastify'
import { isPlausibleEmail, normalizeEmail } from '../accounts/email-address.js'
import type { UserDocument } from '../accounts/users.js'
import { assertAcceptablePassword } from '../credentials/passwords.js'
import { ApiError } from '../http/errors.js'

export interface Registration {
  created: boolean
  user: UserDocument
}

const EVENT_SOURCE = '/latchkey/auth-api'

/**
 * Creates a pending account, or gives a pending one a new password and a fresh code (the
 * last registration wins). The user and the `user.registered` event are written together,
 * in one document, so the event cannot be lost between the database and the broker.
 */
export async function registerAccount (app: FastifyInstance, rawEmail: string, password: string, requestId: string): Promise<Registration> {
  const email = normalizeEmail(rawEmail)
  if (!isPlausibleEmail(email)) {
    throw new ApiError(400, 'EMAIL_INVALID', 'This does not look like an email address.', { field: 'email' })
  }
  assertAcceptablePassword(password)
  const passwordHash = await app.passwords.hash(password)

  // A few rounds cover the races: a parallel registration inserts first, or an account is
  // deleted between our read and our write.
  for (let round = 0; round < 5; round++) {
    const now = app.clock()
    const existing = await app.users.findByEmail(email)
    const userId = existing?._id ?? randomUUID()
    const { code, stored } = app.codes.issue('activation', email, now)
    const data: CodeDeliveryData = { userId, email, code, codeExpiresAt: stored.expiresAt.toISOString() }
    const event = createEvent(EventTypes.userRegistered, EVENT_SOURCE, data, userId)

    if (!existing) {
      const user = app.users.newPendingUser({ id: userId, email, passwordHash, code: stored, event, correlationId: requestId, now })
      if (await app.users.insert(user)) return { created: true, user }
      continue
    }
    if (existing.status !== 'pending') {
      throw new ApiError(409, 'EMAIL_TAKEN', 'An account with this email already exists. Sign in instead.')
    }
    const outcome = await app.users.issueCode({
      userId, slot: 'activationCode', code: stored, event, correlationId: requestId, now,
      enforceCooldown: false, requiredStatus: 'pending', extraSet: { passwordHash }
    })
    if (outcome.kind === 'issued') return { created: false, user: outcome.user }
    if (outcome.kind === 'daily-cap') throw codeMailLimit(outcome.retryAt, now)
  }
  throw new ApiError(503, 'BUSY', 'This account is changing right now. Try again.', {}, { 'retry-after': '1' })
}

export { EVENT_SOURCE }

export function codeMailLimit (retryAt: Date, now: Date): ApiError {
  const seconds = secondsUntil(retryAt, now)
  return new ApiError(429, 'CODE_MAIL_LIMIT', 'Too many codes were sent to this account today. Try again tomorrow.', { retry_after_seconds: seconds }, { 'retry-after': String(seconds) })
}

export function secondsUntil (moment: Date, now: Date): number {
  return Math.max(1, Math.ceil((moment.getTime() - now.getTime()) / 1000))
}
