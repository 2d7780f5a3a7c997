import { EventTypes, type PasswordChangedData, type PasswordChangeHow } from '@latchkey/shared'
import type { Filter, UpdateFilter } from 'mongodb'
import type { AccountDocument } from '../accounts/account.js'
import { combine, type AccountStore } from '../accounts/accounts-store.js'
import { accountEvent, appendToOutbox, type RequestContext } from '../events/outbox.js'
import { endEverySession } from '../sessions/session-lifecycle.js'

export interface PasswordWriteDeps {
  accounts: Pick<AccountStore, 'settle'>
  clock: () => Date
}

/** What a password change reads of the account. */
export type PasswordHolder = Pick<AccountDocument, '_id' | 'email' | 'sessions' | 'sessionsStarted'>

export interface PasswordChange {
  /** The new argon2 hash. */
  passwordHash: string
  how: PasswordChangeHow
  /** What the change was decided on (the old hash, the reset code, the status): if it changed meanwhile, nothing is written. */
  expected: Filter<AccountDocument>
  /** More of the same write: the reset code consumed, an operator's activation or roles. */
  alongside?: UpdateFilter<AccountDocument>
  context: RequestContext
}

/**
 * The one way a password is set, whoever sets it (the owner, a reset code, an operator). One write
 * replaces the hash, ends every session, and queues `user.password_changed` listing exactly the
 * sessions that write ended (its filter holds the session list, so a sign-in landing meanwhile
 * makes it decide again). The mailer tells the owner from that event. The account after the
 * change, or null when `expected` no longer held.
 */
export async function setPassword (deps: PasswordWriteDeps, account: PasswordHolder, change: PasswordChange): Promise<AccountDocument | null> {
  const { passwordHash, how, expected, alongside = {}, context } = change
  let decidedOn: PasswordHolder | undefined
  return await deps.accounts.settle<AccountDocument | null, PasswordHolder>(account._id, account, (current) => {
    // The sessions were as decided on last round, so what failed is `expected`: the change no longer applies.
    if (!current || (decidedOn && sameSessions(current, decidedOn))) return { done: null }
    decidedOn = current
    const { sessionIds, guard, update } = endEverySession(current)
    const data: PasswordChangedData = { userId: current._id, email: current.email, sessionIds, how }
    const event = accountEvent(EventTypes.passwordChanged, current._id, data, context)
    return { expected: { ...expected, ...guard }, update: combine({ $set: { passwordHash } }, update, appendToOutbox(event, context), alongside), now: deps.clock() }
  })
}

function sameSessions (a: Pick<AccountDocument, 'sessions' | 'sessionsStarted'>, b: Pick<AccountDocument, 'sessions' | 'sessionsStarted'>): boolean {
  const ids = Object.keys(a.sessions)
  return a.sessionsStarted === b.sessionsStarted && ids.length === Object.keys(b.sessions).length && ids.every((id) => id in b.sessions)
}
