import type { CodePurpose } from '@latchkey/shared'
import type { AccountStore } from '../accounts/accounts-store.js'
import type { AccountDocument, StoredCode } from '../accounts/account.js'
import type { CodeFailures } from './code-failures.js'
import type { OneTimeCodes } from './one-time-code.js'
import { Refusal, refusedUntil } from '../refusal.js'

/** Throws the refusal that applies when the account is in no state to use a code of this purpose. */
export type StateCheck = (account: AccountDocument | null) => asserts account is AccountDocument

export interface CodeUsed {
  /** The account right after the attempt was counted. */
  account: AccountDocument
  code: StoredCode
}

/** What checking a code needs. */
export interface CodeCheckDeps {
  accounts: Pick<AccountStore, 'settle'>
  codes: OneTimeCodes
  codeFailures: Pick<CodeFailures, 'reserve' | 'refund'>
  clock: () => Date
}

/**
 * The rules every emailed code follows: alive for the configured lifetime; each try reserved
 * twice before the comparison, once against the address's daily cap across codes (CodeFailures)
 * and once against this code's own attempts, each in one atomic write, so of any burst of guesses
 * at most the allowed number is ever compared; the try that uses the last attempt burns the code.
 * Only a match gives the daily reservation back. On a match the caller consumes the code in a
 * write guarded by its hash, so it works once.
 *
 * `address` is the one the request named: a try at an address without a (suitable) account
 * counts like any other, so the cap answers the same whether or not the address has an account.
 */
export async function useCode (deps: CodeCheckDeps, address: string, account: AccountDocument | null, purpose: CodePurpose, candidate: string, checkState: StateCheck): Promise<CodeUsed> {
  const { codes, accounts, codeFailures, clock } = deps
  await codeFailures.reserve(purpose, address, clock())
  // Refused as a wrong try would be: the reservation above stays spent.
  checkState(account)
  const path = `codes.${purpose}`
  const used = await accounts.settle<CodeUsed>(account._id, account, (current) => {
    checkState(current)
    const now = clock()
    const code = current.codes[purpose]
    if (!code || codes.isExpired(code, now)) throw new Refusal('CODE_EXPIRED')
    if (code.attempts >= codes.maxAttempts) throw exhausted(current, purpose, now)
    return {
      expected: { status: current.status, [`${path}.hash`]: code.hash, [`${path}.attempts`]: { $lt: codes.maxAttempts }, [`${path}.expiresAt`]: { $gt: now } },
      update: { $inc: { [`${path}.attempts`]: 1 } },
      now,
      result: (counted: AccountDocument) => {
        if (codes.matches(purpose, counted._id, code, candidate)) return { account: counted, code }
        const attemptsLeft = codes.maxAttempts - (counted.codes[purpose]?.attempts ?? codes.maxAttempts)
        if (attemptsLeft <= 0) throw exhausted(counted, purpose, now)
        throw new Refusal('CODE_INVALID', { attempts_left: attemptsLeft }, `Wrong code. ${attemptsLeft} attempt${attemptsLeft === 1 ? '' : 's'} left.`)
      }
    }
  })
  await codeFailures.refund(purpose, address)
  return used
}

/** The code a request sent: `verification_code`, or its alias `code`. */
export function presentedCode (body: { verification_code?: string, code?: string }): string | undefined {
  return body.verification_code || body.code
}

/** Format errors say nothing about any account, so they may come before everything else. */
export function assertWellFormedCode (codes: Pick<OneTimeCodes, 'isWellFormed' | 'lengthOf'>, purpose: CodePurpose, candidate: string | undefined): asserts candidate is string {
  if (candidate === undefined || candidate === '') {
    throw new Refusal('CODE_MISSING', { field: 'verification_code' })
  }
  if (!codes.isWellFormed(purpose, candidate)) {
    throw new Refusal('CODE_MALFORMED', { field: 'verification_code' }, `The code is ${codes.lengthOf(purpose)} digits.`)
  }
}

/** A burnt code: a new one can be asked for once the mail cooldown allows it. */
function exhausted (account: AccountDocument, purpose: CodePurpose, now: Date): Refusal {
  const nextMail = account.mailQuota[purpose]?.nextAllowedAt ?? now
  return refusedUntil('CODE_EXHAUSTED', nextMail, now, () => 'Too many wrong tries: this code no longer works. Request a new one.', { attempts_left: 0 })
}
