import type { CodePurpose, EventType } from '@latchkey/shared'
import type { UpdateFilter } from 'mongodb'
import type { AccountDocument } from '../accounts/account.js'
import { combine, type AccountStore } from '../accounts/accounts-store.js'
import { accountEvent, appendToOutbox, type RequestContext } from '../events/outbox.js'
import { Refusal } from '../refusal.js'
import type { StateCheck } from './code-attempts.js'
import type { CodeFailures } from './code-failures.js'
import { takeCodeMail, type MailLimits } from './mail-quota.js'
import type { OneTimeCodes } from './one-time-code.js'

export interface CodeIssue {
  purpose: CodePurpose
  eventType: EventType
  context: RequestContext
  /** An explicit resend waits out the cooldown; a registration, which replaces the password, does not. */
  enforceCooldown: boolean
  /** The requester's network, when the request proves nothing about who sends it. */
  network?: string
  /** When it was asked for, if not now (a request answered before its work is done). */
  requestedAt?: Date
}

/** What issuing a code needs. */
export interface CodeIssueDeps {
  accounts: Pick<AccountStore, 'settle'>
  codes: Pick<OneTimeCodes, 'issue'>
  codeFailures: Pick<CodeFailures, 'assertOpen'>
  /** The cooldown and daily limits of code mails. */
  mailLimits: MailLimits
  clock: () => Date
}

/**
 * Replaces the account's code of this purpose and queues the mail carrying it, within the mail
 * quota, in one write guarded by the account's status and quota. `alongside` adds the caller's own
 * changes to that write (a re-registration's new password).
 */
export async function issueCode (deps: CodeIssueDeps, account: AccountDocument, issue: CodeIssue, checkState: StateCheck, alongside: UpdateFilter<AccountDocument> = {}): Promise<AccountDocument> {
  const { purpose, eventType, context, enforceCooldown, network, requestedAt } = issue
  checkState(account)
  // A purpose that has had its day's wrong codes issues no more: a fresh code must not bring fresh tries.
  await deps.codeFailures.assertOpen(purpose, account.email, requestedAt ?? deps.clock())
  return await deps.accounts.settle(account._id, account, (current) => {
    checkState(current)
    const now = requestedAt ?? deps.clock()
    const taken = takeCodeMail(current.mailQuota[purpose], { purpose, now, enforceCooldown, ...(network ? { network } : {}) }, deps.mailLimits)
    if (taken instanceof Refusal) throw taken
    const { code, stored } = deps.codes.issue(purpose, current._id, now)
    const event = accountEvent(eventType, current._id, { userId: current._id, email: current.email, code, codeExpiresAt: stored.expiresAt.toISOString() }, context)
    return {
      expected: { status: current.status, ...taken.guard },
      update: combine({ $set: { [`codes.${purpose}`]: stored } }, taken.update, appendToOutbox(event, context), alongside),
      now
    }
  })
}
