// Every error code Latchkey answers with, as a sentence for people. The list of codes is the
// shared error catalog: a code added there without a sentence here, or a misspelt one, does
// not compile. Codes this build does not know (a newer server) fall back to the server's own
// `message`. Keep the sentences short, specific and free of blame.
import type { ErrorCode } from '../../../shared/src/error-catalog.js'
import { ApiFailure } from './api.js'
import type { Field } from './validation.js'
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './validation.js'

/** Failures the page itself names: no answer at all, or an answer without a code. */
export type ClientOnlyCode = 'NETWORK_ERROR' | 'UNEXPECTED_ANSWER'
export type FailureCode = ErrorCode | ClientOnlyCode

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
const BUSY = 'The service is busy right now. Please try again in a moment.'
const PAGE_OUT_OF_DATE = 'This page is out of date. Reload it and try again.'

export const sentences: Record<FailureCode, Sentence> = {
  // Input
  VALIDATION_FAILED: (f) => (f.field === undefined ? 'Some of the details are not valid. Check the form and try again.' : `Check the ${f.field.replace(/_/g, ' ')} field and try again.`),
  BAD_REQUEST: PAGE_OUT_OF_DATE,
  EMAIL_INVALID: 'This email address does not look right. Check it for typos.',
  PASSWORD_TOO_SHORT: `Use at least ${PASSWORD_MIN_LENGTH} characters for your password.`,
  PASSWORD_TOO_LONG: `Use at most ${PASSWORD_MAX_LENGTH} characters for your password.`,
  PASSWORD_TOO_COMMON: 'This password is one of the most common ones. Choose one that is harder to guess.',
  CODE_MISSING: (_f, c) => `Enter the ${c.codeLength}-digit code from the email.`,
  CODE_MALFORMED: (_f, c) => `The code is exactly ${c.codeLength} digits.`,
  REFRESH_TOKEN_MISSING: SESSION_ENDED,
  // Who is asking
  AUTH_REQUIRED: 'Enter your email address and password.',
  INVALID_CREDENTIALS: 'The email address or password is not right.',
  INVALID_PASSWORD: 'Your current password is not right.',
  TOKEN_MISSING: SESSION_ENDED,
  TOKEN_INVALID: SESSION_ENDED,
  TOKEN_EXPIRED: SESSION_ENDED,
  TOKEN_REVOKED: SESSION_ENDED,
  REFRESH_INVALID: SESSION_ENDED,
  REFRESH_REUSED: SESSION_ENDED,
  INVALID_CLIENT: PAGE_OUT_OF_DATE,
  // What the account allows
  CODE_INVALID: (f) => f.attemptsLeft === undefined
    ? 'That code is not right. Check the latest email and try again.'
    : `That code is not right. ${f.attemptsLeft} attempt${f.attemptsLeft === 1 ? '' : 's'} left.`,
  CODE_REJECTED: 'That code is not right or no longer works. Check the latest email, or send a new code.',
  ACCOUNT_DISABLED: 'This account is disabled. Contact the administrator.',
  ACCOUNT_NOT_ACTIVATED: 'This account is not activated yet. Enter the code we emailed you under “Activate”.',
  FORBIDDEN: 'This needs an administrator account.',
  NOT_FOUND: PAGE_OUT_OF_DATE,
  USER_NOT_FOUND: 'There is no such account.',
  METHOD_NOT_ALLOWED: PAGE_OUT_OF_DATE,
  EMAIL_TAKEN: 'An account with this email address already exists. Sign in instead.',
  ALREADY_ACTIVATED: 'This account is already activated. You can sign in.',
  CANNOT_DISABLE_SELF: 'You cannot disable your own account.',
  CODE_EXPIRED: 'This code has expired. Send a new code and use that one.',
  // Sizes and formats
  BODY_TOO_LARGE: 'What you typed is too long. Shorten it and try again.',
  URI_TOO_LONG: PAGE_OUT_OF_DATE,
  UNSUPPORTED_MEDIA_TYPE: PAGE_OUT_OF_DATE,
  HEADERS_TOO_LARGE: 'Your browser sent too much data. Clear this site’s cookies and try again.',
  // Slow down
  RATE_LIMITED: (f) => `Too many requests from your network. Try again ${inTime(f.retryAfterSeconds)}.`,
  ACCOUNT_LOCKED: (f) => `Too many failed attempts with this address. It is locked; try again ${inTime(f.retryAfterSeconds)}.`,
  CODE_EXHAUSTED: (f) => `Too many wrong tries: this code no longer works. You can ask for a new code ${inTime(f.retryAfterSeconds)}.`,
  RESEND_TOO_SOON: (f) => `You can ask for a new code ${inTime(f.retryAfterSeconds)}.`,
  CODE_MAIL_LIMIT: (f) => `We have sent this address too many codes today. You can ask again ${inTime(f.retryAfterSeconds)}.`,
  CODE_FAILURE_LIMIT: (f) => `Too many wrong codes were entered for this address. No code can be used or sent for now; try again ${inTime(f.retryAfterSeconds)}.`,
  // Our side
  INTERNAL_ERROR: SERVER_TROUBLE,
  NOT_IMPLEMENTED: PAGE_OUT_OF_DATE,
  BAD_GATEWAY: SERVER_TROUBLE,
  SERVICE_UNAVAILABLE: BUSY,
  DATABASE_UNAVAILABLE: BUSY,
  NOT_READY: BUSY,
  GATEWAY_TIMEOUT: SERVER_TROUBLE,
  // The page's own
  NETWORK_ERROR: 'The server cannot be reached. Check your connection and try again.',
  UNEXPECTED_ANSWER: (f) => {
    if (f.status === 429) return `Too many requests. Try again ${inTime(f.retryAfterSeconds)}.`
    if (f.status >= 500) return SERVER_TROUBLE
    return f.message !== '' ? f.message : SERVER_TROUBLE
  }
}

/** The sentences' keys are exactly the catalog's codes and the page's own (the type sees to it). */
export function isFailureCode (code: string): code is FailureCode {
  return Object.hasOwn(sentences, code)
}

/** Whether `error` is a refusal with one of these codes (typed: a misspelt code does not compile). */
export function refusedWith (error: unknown, ...codes: FailureCode[]): error is ApiFailure {
  return error instanceof ApiFailure && (codes as string[]).includes(error.code)
}

export function describeFailure (failure: ApiFailure, context: MessageContext): string {
  const sentence = isFailureCode(failure.code) ? sentences[failure.code] : undefined
  if (typeof sentence === 'function') return sentence(failure, context)
  if (sentence !== undefined) return sentence
  if (failure.status >= 500) return SERVER_TROUBLE
  return failure.message !== '' ? failure.message : SERVER_TROUBLE
}

/**
 * Which field a failure is about, when it is about one; the page marks that field. `password`
 * is the password being chosen or proved, `current` the one confirming a change.
 */
export const failureFields: Partial<Record<FailureCode, Field>> = {
  EMAIL_INVALID: 'email',
  EMAIL_TAKEN: 'email',
  PASSWORD_TOO_SHORT: 'password',
  PASSWORD_TOO_LONG: 'password',
  PASSWORD_TOO_COMMON: 'password',
  INVALID_PASSWORD: 'current',
  CODE_MISSING: 'code',
  CODE_MALFORMED: 'code',
  CODE_INVALID: 'code',
  CODE_REJECTED: 'code'
}

/** Failures after which the submit button waits for Retry-After; a resend button has its own wait. */
export function holdsTheForm (failure: ApiFailure): boolean {
  return failure.status === 429 && failure.retryAfterSeconds !== undefined && !refusedWith(failure, 'RESEND_TOO_SOON', 'CODE_EXHAUSTED')
}
