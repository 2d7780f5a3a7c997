import type { FastifyInstance } from 'fastify'
import type { CodeSlot, UserDocument } from '../accounts/users.js'
import { ApiError } from '../http/errors.js'
import type { CodePurpose, StoredCode } from './one-time-code.js'

export interface CodeMatch {
  user: UserDocument
  code: StoredCode
}

/**
 * The rules every emailed code follows: it must be well formed, each try is counted before
 * the comparison (atomically, so parallel guesses cannot exceed the limit), it lives for
 * the configured lifetime, and the try that uses the last attempt burns it.
 * Returns the matching code; the caller consumes it with a guarded write.
 */
export async function checkCode (app: FastifyInstance, userId: string, slot: CodeSlot, purpose: CodePurpose, candidate: string | undefined): Promise<CodeMatch> {
  const { codes } = app
  if (candidate === undefined || candidate === '') {
    throw new ApiError(400, 'CODE_MISSING', 'Send the code from the email as verification_code.', { field: 'verification_code' })
  }
  if (!codes.isWellFormed(candidate)) {
    throw new ApiError(400, 'CODE_MALFORMED', `The code is ${codes.length} digits.`, { field: 'verification_code' })
  }
  const now = app.clock()
  const counted = await app.users.countAttempt(userId, slot, codes.maxAttempts, now)
  const code = counted?.[slot]
  if (!counted || !code) {
    throw await whyNoAttempt(app, userId, slot, now)
  }
  const accountKey = counted.email
  if (codes.matches(purpose, accountKey, code, candidate)) {
    return { user: counted, code }
  }
  const attemptsLeft = codes.maxAttempts - code.attempts
  if (attemptsLeft <= 0) throw exhausted(counted, now)
  throw new ApiError(403, 'CODE_INVALID', `Wrong code. ${attemptsLeft} attempt${attemptsLeft === 1 ? '' : 's'} left.`, { attempts_left: attemptsLeft })
}

async function whyNoAttempt (app: FastifyInstance, userId: string, slot: CodeSlot, now: Date): Promise<ApiError> {
  const user = await app.users.findById(userId)
  const code = user?.[slot]
  if (!user || !code) return expired()
  if (app.codes.isExpired(code, now)) return expired()
  return exhausted(user, now)
}

function expired (): ApiError {
  return new ApiError(410, 'CODE_EXPIRED', 'This code has expired. Request a new one.')
}

function exhausted (user: UserDocument, now: Date): ApiError {
  const seconds = Math.max(0, Math.ceil((user.codeMail.nextAllowedAt.getTime() - now.getTime()) / 1000))
  return new ApiError(429, 'CODE_EXHAUSTED', 'Too many wrong tries: this code no longer works. Request a new one.',
    { attempts_left: 0, retry_after_seconds: seconds }, { 'retry-after': String(seconds) })
}
