import { EventTypes } from '@latchkey/shared'
import type { AccountDocument } from '../accounts/account.js'
import { combine, type AccountStore } from '../accounts/accounts-store.js'
import { accountEvent, appendToOutbox, type RequestContext } from '../events/outbox.js'
import { Refusal } from '../refusal.js'
import { endEverySession } from '../sessions/session-lifecycle.js'

export interface AccountStatusDeps {
  accounts: Pick<AccountStore, 'byId' | 'settle'>
  clock: () => Date
}

function assertExists (account: AccountDocument | null): asserts account is AccountDocument {
  if (!account || account.status === 'deleted') throw new Refusal('USER_NOT_FOUND')
}

/** Disables an account: every session ends, announced by `user.disabled` in the same write. Idempotent. */
export async function disableAccount (deps: AccountStatusDeps, id: string, context: RequestContext): Promise<AccountDocument> {
  return await deps.accounts.settle<AccountDocument>(id, await deps.accounts.byId(id), (account) => {
    assertExists(account)
    if (account.status === 'disabled') return { done: account }
    const { sessionIds, guard, update } = endEverySession(account)
    const event = accountEvent(EventTypes.userDisabled, account._id, { userId: account._id, sessionIds }, context)
    return { expected: { status: account.status, ...guard }, update: combine({ $set: { status: 'disabled' } }, update, appendToOutbox(event, context)), now: deps.clock() }
  })
}

/** Enables a disabled account again, as it was before: active if it was ever activated, else pending. Idempotent. */
export async function enableAccount (deps: AccountStatusDeps, id: string): Promise<AccountDocument> {
  return await deps.accounts.settle<AccountDocument>(id, await deps.accounts.byId(id), (account) => {
    assertExists(account)
    if (account.status !== 'disabled') return { done: account }
    return { expected: { status: 'disabled' }, update: { $set: { status: account.activatedAt ? 'active' : 'pending' } }, now: deps.clock() }
  })
}
