import type { CodePurpose } from '@latchkey/shared'
import type { AccountDocument } from '../accounts/account.js'

/** Where the account's pending code of this purpose stands, as the API reports it. */
export function pendingCodeFields (account: AccountDocument, purpose: CodePurpose, maxAttempts: number): {
  code_expires_at: string
  resend_available_at: string
  attempts_left: number
} {
  const code = account.codes[purpose]!
  return {
    code_expires_at: code.expiresAt.toISOString(),
    resend_available_at: account.mailQuota[purpose]!.nextAllowedAt.toISOString(),
    attempts_left: Math.max(0, maxAttempts - code.attempts)
  }
}
