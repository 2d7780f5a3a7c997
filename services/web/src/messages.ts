// Every error code the API documents, as a sentence for people. Unknown codes fall back to
// the server's own `message`. Keep the sentences short, specific and free of blame.
import type { ApiFailure } from './api.js'
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './validation.js'

type Sentence = string | ((failure: ApiFailure, context: MessageContext) => string)

export interface MessageContext {
  codeLength: number
}

function inTime (seconds: number | undefined): string {
  if (seconds === undefined) return 'later'
  if (seconds < 60) return `in ${seconds} second${seconds === 1 ? '' : 's'}`
  const minutes = Math.ceil(seconds / 60)
  if (minutes < 120) return `in ${minutes} minute${minutes === 1 ? '' : 's'}`
  return `in ${Math.ceil(minutes / 60)} hours`
}

const SESSION_ENDED = 'Your session has ended. Please sign in again.'
const SERVER_TROUBLE = 'Something went wrong on our side. Please try again in a moment.'

export const sentences: Record<string, Sentence> = {
  // Registration
  EMAIL_INVALID: 'This email address does not look right. Check it for typos.',
  PASSWORD_TOO_SHORT: `Use at least ${PASSWORD_MIN_LENGTH} characters for your password.`,
  PASSWORD_TOO_LONG: `Use at most ${PASSWORD_MAX_LENGTH} characters for your password.`,
  PASSWORD_TOO_COMMON: 'This password is one of the most common ones. Choose one that is harder to guess.',
  VALIDATION_FAILED: (f) => (f.field === undefined ? 'Some of the details are not valid. Check the form and try again.' : `Check the ${f.field} field and try again.`),
  EMAIL_TAKEN: 'An account with this email address already exists. Sign in instead.',
  CODE_MAIL_LIMIT: (f) => `We have sent this address too many codes today. You can ask again ${inTime(f.retryAfterSeconds)}.`,
  BUSY: 'The service is busy right now. Please try again in a moment.',
  DATABASE_UNAVAILABLE: 'The service is busy right now. Please try again in a moment.',
  // Activation
  AUTH_REQUIRED: 'Enter your email address and password.',
  INVALID_CREDENTIALS: 'The email address or password is not right.',
  CODE_MISSING: (_f, c) => `Enter the ${c.codeLength}-digit code from the email.`,
  CODE_MALFORMED: (_f, c) => `The code is exactly ${c.codeLength} digits.`,
  CODE_INVALID: (f) => f.attemptsLeft === undefined
    ? 'That code is not right. Check the latest email and try again.'
    : `That code is not right. ${f.attemptsLeft} attempt${f.attemptsLeft === 1 ? '' : 's'} left.`,
  CODE_EXPIRED: 'This code has expired. Send a new code and use that one.',
  CODE_EXHAUSTED: (f) => `Too many wrong tries: this code no longer works. You can ask for a new code ${inTime(f.retryAfterSeconds)}.`,
  RESEND_TOO_SOON: (f) => `You can ask for a new code ${inTime(f.retryAfterSeconds)}.`,
  ALREADY_ACTIVATED: 'This account is already activated. You can sign in.',
  ACCOUNT_DISABLED: 'This account is disabled. Contact the administrator.',
  // Sign-in and session
  ACCOUNT_NOT_ACTIVATED: 'This account is not activated yet. Enter the code we emailed you under “Activate”.',
  ACCOUNT_LOCKED: (f) => `Too many failed sign-ins. This account is locked; try again ${inTime(f.retryAfterSeconds)}.`,
  REFRESH_INVALID: SESSION_ENDED,
  REFRESH_REUSED: SESSION_ENDED,
  REFRESH_TOKEN_MISSING: SESSION_ENDED,
  TOKEN_MISSING: SESSION_ENDED,
  TOKEN_REVOKED: SESSION_ENDED,
  TOKEN_INVALID: SESSION_ENDED,
  TOKEN_EXPIRED: SESSION_ENDED,
  // Transport and framework
  NETWORK_ERROR: 'The server cannot be reached. Check your connection and try again.',
  HTTP_429: 'Too many requests. Wait a moment and try again.',
  UNSUPPORTED_MEDIA_TYPE: SERVER_TROUBLE,
  INVALID_BODY: SERVER_TROUBLE,
  BODY_TOO_LARGE: 'What you typed is too long. Shorten it and try again.',
  BAD_REQUEST: SERVER_TROUBLE,
  NOT_FOUND: 'This is not available on the server yet.',
  INTERNAL_ERROR: SERVER_TROUBLE
}

export function describeFailure (failure: ApiFailure, context: MessageContext): string {
  const sentence = sentences[failure.code]
  if (typeof sentence === 'function') return sentence(failure, context)
  if (sentence !== undefined) return sentence
  if (failure.status >= 500) return SERVER_TROUBLE
  return failure.message !== '' ? failure.message : SERVER_TROUBLE
}

/** Which field a failure is about, when it is about one; the page marks that field. */
export const failureFields: Record<string, 'email' | 'password' | 'confirm' | 'code'> = {
  EMAIL_INVALID: 'email',
  EMAIL_TAKEN: 'email',
  PASSWORD_TOO_SHORT: 'password',
  PASSWORD_TOO_LONG: 'password',
  PASSWORD_TOO_COMMON: 'password',
  CODE_MISSING: 'code',
  CODE_MALFORMED: 'code',
  CODE_INVALID: 'code'
}
