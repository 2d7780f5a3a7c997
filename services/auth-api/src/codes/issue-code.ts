import { createEvent, type CodeDeliveryData, type EventType } from '@latchkey/shared'
import type { FastifyInstance } from 'fastify'
import { EVENT_SOURCE, takeCodeMail, type CodeSlot, type UserDocument } from '../accounts/users.js'
import { tooManyUntil } from '../http/errors.js'
import type { CodePurpose } from './one-time-code.js'

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
    throw tooManyUntil(quota.retryAt, now, 'RESEND_TOO_SOON', (seconds) => `Wait ${seconds} s before asking for another code.`)
  }
  if (quota.kind === 'daily-cap') {
    throw tooManyUntil(quota.retryAt, now, 'CODE_MAIL_LIMIT', () => 'Too many codes were sent to this account today. Try again tomorrow.')
  }
  const { code, stored } = app.codes.issue(purpose, user.email, now)
  const event = codeEvent(eventType, { userId: user.id, email: user.email, code, codeExpiresAt: stored.expiresAt.toISOString() })
  return await app.users.update(user, {
    $set: { ...extraFields, [slot]: stored, codeMail: quota.codeMail, ...await app.outbox.append(user, event, requestId) }
  }, now)
}

export function codeEvent (type: EventType, data: CodeDeliveryData) {
  return createEvent(type, EVENT_SOURCE, data, data.userId)
}
