import type { FastifyInstance } from 'fastify'
import type { CodeSlot, UserDocument } from '../accounts/users.js'
import { ApiError, tooManyUntil } from '../http/errors.js'
import type { CodePurpose } from './one-time-code.js'

/**
 * The rules every emailed code follows: well formed; alive for the configured lifetime;
 * each try counted before the comparison; the try that uses the last attempt burns it.
 * Call it while holding the account, then consume the code in the same critical section,
 * so parallel guesses cannot exceed the limit and a code works once.
 */
export async function checkCode (app: FastifyInstance, user: UserDocument, slot: CodeSlot, purpose: CodePurpose, candidate: string | undefined): Promise<void> {
  const { codes } = app
  assertWellFormedCode(app, candidate)
  const now = app.clock()
  const code = user[slot]
  if (!code || codes.isExpired(code, now)) {
    throw new ApiError(410, 'CODE_EXPIRED', 'This code has expired. Request a new one.')
  }
  if (code.attempts >= codes.maxAttempts) throw exhausted(user, now)

  const attempts = code.attempts + 1
  await app.users.update(user, { $set: { [`${slot}.attempts`]: attempts } }, now)
  if (codes.matches(purpose, user.email, code, candidate)) return

  const attemptsLeft = codes.maxAttempts - attempts
  if (attemptsLeft === 0) throw exhausted(user, now)
  throw new ApiError(403, 'CODE_INVALID', `Wrong code. ${attemptsLeft} attempt${attemptsLeft === 1 ? '' : 's'} left.`, { attempts_left: attemptsLeft })
}

/** The code a request sent: `verification_code`, or its alias `code`. */
export function presentedCode (body: { verification_code?: string, code?: string }): string | undefined {
  return body.verification_code || body.code
}

/** Format errors say nothing about any account, so they may come before everything else. */
export function assertWellFormedCode (app: FastifyInstance, candidate: string | undefined): asserts candidate is string {
  if (candidate === undefined || candidate === '') {
    throw new ApiError(400, 'CODE_MISSING', 'Send the code from the email as verification_code.', { field: 'verification_code' })
  }
  if (!app.codes.isWellFormed(candidate)) {
    throw new ApiError(400, 'CODE_MALFORMED', `The code is ${app.codes.length} digits.`, { field: 'verification_code' })
  }
}

function exhausted (user: UserDocument, now: Date): ApiError {
  return tooManyUntil(user.codeMail.nextAllowedAt, now, 'CODE_EXHAUSTED', () => 'Too many wrong tries: this code no longer works. Request a new one.', { attempts_left: 0 })
}
