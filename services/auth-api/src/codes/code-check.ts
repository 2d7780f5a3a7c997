import type { FastifyInstance } from 'fastify'
import type { CodeSlot, UserDocument } from '../accounts/users.js'
import { ApiError } from '../http/errors.js'
import type { CodePurpose } from './one-time-code.js'

/**
 * The rules every emailed code follows: well formed; alive for the configured lifetime;
 * each try counted before the comparison; the try that uses the last attempt burns it.
 * Call it while holding the account, then consume the code in the same critical section,
 * so parallel guesses cannot exceed the limit and a code works once.
 */
export async function checkCode (app: FastifyInstance, user: UserDocument, slot: CodeSlot, purpose: CodePurpose, candidate: string | undefined): Promise<void> {
  const { codes } = app
  if (candidate === undefined || candidate === '') {
    throw new ApiError(400, 'CODE_MISSING', 'Send the code from the email as verification_code.', { field: 'verification_code' })
  }
  if (!codes.isWellFormed(candidate)) {
    throw new ApiError(400, 'CODE_MALFORMED', `The code is ${codes.length} digits.`, { field: 'verification_code' })
  }
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

function exhausted (user: UserDocument, now: Date): ApiError {
  const seconds = Math.max(0, Math.ceil((user.codeMail.nextAllowedAt.getTime() - now.getTime()) / 1000))
  return new ApiError(429, 'CODE_EXHAUSTED', 'Too many wrong tries: this code no longer works. Request a new one.',
    { attempts_left: 0, retry_after_seconds: seconds }, { 'retry-after': String(seconds) })
}
