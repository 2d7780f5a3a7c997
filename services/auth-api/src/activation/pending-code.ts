import type { StoredCode } from '../codes/one-time-code.js'
import type { UserDocument } from '../accounts/users.js'

export function pendingCodeFields (code: StoredCode, user: Pick<UserDocument, 'codeMail'>, maxAttempts: number): {
  code_expires_at: string
  resend_available_at: string
  attempts_left: number
} {
  return {
    code_expires_at: code.expiresAt.toISOString(),
    resend_available_at: user.codeMail.nextAllowedAt.toISOString(),
    attempts_left: Math.max(0, maxAttempts - code.attempts)
  }
}
