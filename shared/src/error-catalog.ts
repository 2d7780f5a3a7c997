// Every error Latchkey answers with, whoever answers it: the API's routes, the framework under
// them, and Nginx in front of them. One stable `code` per reason, and one HTTP status per code.
// The API's error mapping, its OpenAPI document, Nginx's JSON error pages and the web page's
// sentences are all checked against this list. The web page bundles this file, so it stays free
// of Node-only imports.

interface CatalogEntry {
  status: number
  /** The default sentence for people; a route may say something more specific. */
  message: string
}

export const errorCatalog = {
  // Input the API cannot use at all.
  VALIDATION_FAILED: { status: 400, message: 'The request does not match what this endpoint expects.' },
  BAD_REQUEST: { status: 400, message: 'The request is malformed.' },
  EMAIL_INVALID: { status: 400, message: 'This does not look like an email address.' },
  PASSWORD_TOO_SHORT: { status: 400, message: 'Use at least 8 characters.' },
  PASSWORD_TOO_LONG: { status: 400, message: 'Use at most 256 characters.' },
  PASSWORD_TOO_COMMON: { status: 400, message: 'This password is among the most common ones; choose another.' },
  CODE_MISSING: { status: 400, message: 'Send the code from the email as verification_code.' },
  CODE_MALFORMED: { status: 400, message: 'The code is made of digits only, as many as the email shows.' },
  REFRESH_TOKEN_MISSING: { status: 400, message: 'Send refresh_token (or the cookie, with X-Token-Transport: cookie).' },

  // Who is asking.
  AUTH_REQUIRED: { status: 401, message: 'Send your email and password with HTTP Basic authentication.' },
  INVALID_CREDENTIALS: { status: 401, message: 'Wrong email or password.' },
  INVALID_PASSWORD: { status: 401, message: 'The current password is wrong.' },
  TOKEN_MISSING: { status: 401, message: 'Send an access token: Authorization: Bearer <token>.' },
  TOKEN_INVALID: { status: 401, message: 'The access token is not valid.' },
  TOKEN_EXPIRED: { status: 401, message: 'The access token has expired.' },
  TOKEN_REVOKED: { status: 401, message: 'This session has ended: sign in again.' },
  REFRESH_INVALID: { status: 401, message: 'This refresh token is not valid. Sign in again.' },
  REFRESH_REUSED: { status: 401, message: 'This refresh token was already used; the session it belonged to is now signed out.' },
  INVALID_CLIENT: { status: 401, message: 'This endpoint needs the credentials of a registered client (HTTP Basic).' },

  // What the account allows.
  CODE_INVALID: { status: 403, message: 'Wrong code.' },
  CODE_REJECTED: { status: 403, message: 'This code is wrong or no longer valid. Check it, or ask for a new one.' },
  ACCOUNT_DISABLED: { status: 403, message: 'This account is disabled.' },
  ACCOUNT_NOT_ACTIVATED: { status: 403, message: 'Activate your account with the emailed code first.' },
  FORBIDDEN: { status: 403, message: 'This needs an administrator account.' },
  NOT_FOUND: { status: 404, message: 'There is nothing at this address.' },
  USER_NOT_FOUND: { status: 404, message: 'No account has this id.' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'This address does not take this method; the Allow header lists those it takes.' },
  EMAIL_TAKEN: { status: 409, message: 'An account with this email already exists. Sign in instead.' },
  ALREADY_ACTIVATED: { status: 409, message: 'This account is already activated. Sign in instead.' },
  CANNOT_DISABLE_SELF: { status: 409, message: 'An administrator cannot disable their own account.' },
  CODE_EXPIRED: { status: 410, message: 'This code has expired. Request a new one.' },

  // Sizes and formats the edge refuses.
  BODY_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  URI_TOO_LONG: { status: 414, message: 'The address is too long.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send the body as application/json or application/x-www-form-urlencoded.' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are too large.' },

  // Slow down: each says when to come back (Retry-After).
  RATE_LIMITED: { status: 429, message: 'Too many requests from this address. Slow down.' },
  ACCOUNT_LOCKED: { status: 429, message: 'Too many failed attempts. Try again later.' },
  CODE_EXHAUSTED: { status: 429, message: 'Too many wrong tries: this code no longer works. Request a new one.' },
  RESEND_TOO_SOON: { status: 429, message: 'Wait before asking for another code.' },
  CODE_MAIL_LIMIT: { status: 429, message: 'Too many codes were sent to this address today. Try again later.' },
  CODE_FAILURE_LIMIT: { status: 429, message: 'Too many wrong codes for this address today: no code is issued or checked until the wait is over.' },

  // Our side.
  INTERNAL_ERROR: { status: 500, message: 'Something went wrong on our side. Try again.' },
  NOT_IMPLEMENTED: { status: 501, message: 'The server does not support what this request asks for.' },
  BAD_GATEWAY: { status: 502, message: 'The service behind the proxy answered badly. Try again.' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'No instance of the service can answer right now. Try again shortly.' },
  DATABASE_UNAVAILABLE: { status: 503, message: 'The database is unreachable right now. Try again shortly.' },
  NOT_READY: { status: 503, message: 'This instance cannot serve requests yet: a server it needs is unreachable.' },
  GATEWAY_TIMEOUT: { status: 504, message: 'The service took too long to answer. Try again.' }
} as const satisfies Record<string, CatalogEntry>

export type ErrorCode = keyof typeof errorCatalog

export const errorCodes = Object.keys(errorCatalog) as ErrorCode[]

export function isErrorCode (value: string): value is ErrorCode {
  return Object.hasOwn(errorCatalog, value)
}

export function statusOf (code: ErrorCode): number {
  return errorCatalog[code].status
}

/** The JSON body of every error answer, from any part of the stack. */
export interface ErrorBody {
  status: 'error'
  code: ErrorCode
  message: string
  [detail: string]: unknown
}
