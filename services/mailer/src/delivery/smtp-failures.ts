import { RecipientRefusedError } from '../mail/smtp.js'

interface SmtpErrorFields {
  code?: unknown
  responseCode?: unknown
  permanent?: unknown
}

/**
 * Whether sending the same mail again can never work. RFC 5321: 5yz replies are permanent,
 * 4yz transient; 503 (bad sequence) is about the session, not the mail, so it is retried.
 * Everything without an SMTP reply (refused, timed out, dropped connection) is transient.
 */
export function isPermanentSmtpFailure (err: unknown): boolean {
  if (err instanceof RecipientRefusedError) return true
  if (typeof err !== 'object' || err === null) return false
  const { code, responseCode, permanent } = err as SmtpErrorFields
  if (typeof permanent === 'boolean') return permanent
  if (typeof responseCode === 'number') return responseCode >= 500 && responseCode !== 503
  // Nodemailer refusing the envelope before talking to the server (e.g. a bad address) is final too.
  return code === 'EENVELOPE'
}

/** A short, code-free description for logs and the delivery record. */
export function describeFailure (err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err)
  const { code, responseCode } = err as SmtpErrorFields
  const message = err instanceof Error ? err.message : 'unknown error'
  return [code, responseCode, message].filter((part) => part !== undefined).join(' ').slice(0, 300)
}
