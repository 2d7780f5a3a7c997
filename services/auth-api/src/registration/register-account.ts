import { randomUUID } from 'node:crypto'
import { EventTypes } from '@latchkey/shared'
import type { FastifyInstance } from 'fastify'
import { isDeliverableAddress, normalizeEmail } from '@latchkey/shared'
import { newAccount, takeCodeMail, type QuotaDecision, type UserDocument } from '../accounts/users.js'
import { codeEvent, issueCode } from '../codes/issue-code.js'
import { assertAcceptablePassword } from '../credentials/passwords.js'
import { ApiError } from '../http/errors.js'

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
  if (!isDeliverableAddress(email)) {
    throw new ApiError(400, 'EMAIL_INVALID', 'This does not look like an email address.', { field: 'email' })
  }
  assertAcceptablePassword(password)
  // Hashing is the slow part: it happens before taking the account lock.
  const passwordHash = await app.passwords.hash(password)

  // A new address needs no lock: the unique index lets exactly one insert through.
  const created = await createPendingAccount(app, email, passwordHash, requestId, app.clock())
  if (created) return { created: true, user: created }

  return await app.users.withAccount(email, async (existing) => {
    const now = app.clock()
    if (!existing) {
      const user = await createPendingAccount(app, email, passwordHash, requestId, now)
      if (user) return { created: true, user }
      throw new ApiError(503, 'BUSY', 'This account is changing right now. Try again.', {}, { 'retry-after': '1' })
    }
    if (existing.status !== 'pending') {
      throw new ApiError(409, 'EMAIL_TAKEN', 'An account with this email already exists. Sign in instead.')
    }
    const user = await issueCode(app, existing, {
      slot: 'activationCode', purpose: 'activation', eventType: EventTypes.userRegistered, requestId, now, enforceCooldown: false
    }, { passwordHash })
    return { created: false, user }
  })
}

/** Inserts a new pending account with its first event; null when the address is taken. */
async function createPendingAccount (app: FastifyInstance, email: string, passwordHash: string, requestId: string, now: Date): Promise<UserDocument | null> {
  const id = randomUUID()
  const { code, stored } = app.codes.issue('activation', email, now)
  const event = codeEvent(EventTypes.userRegistered, { userId: id, email, code, codeExpiresAt: stored.expiresAt.toISOString() })
  const quota = takeCodeMail(undefined, now, app.users.limits, false) as Extract<QuotaDecision, { kind: 'allowed' }>
  const user = newAccount({
    id,
    email,
    passwordHash,
    status: 'pending',
    roles: ['user'],
    activationCode: stored,
    codeMail: quota.codeMail,
    ...await app.outbox.initial(email, event, requestId)
  }, now)
  return await app.users.insert(user) ? user : null
}
