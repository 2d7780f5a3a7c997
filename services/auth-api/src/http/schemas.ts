import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, statusOf, type ErrorCode } from '@latchkey/shared'
import { Type, type Static } from 'typebox'

/** Answers any route may give, from the API itself or from Nginx in front of it. */
export const everyRoute: ErrorCode[] = [
  'VALIDATION_FAILED', 'BAD_REQUEST', 'BODY_TOO_LARGE', 'URI_TOO_LONG', 'UNSUPPORTED_MEDIA_TYPE', 'HEADERS_TOO_LARGE',
  'BAD_GATEWAY', 'SERVICE_UNAVAILABLE', 'DATABASE_UNAVAILABLE', 'GATEWAY_TIMEOUT'
]

function errorResponse (codes: ErrorCode[]) {
  return Type.Object({
    status: Type.Literal('error'),
    // An enum of strings, not a union of literals: the serializer then never refuses an error
    // body, even one whose code a route forgot to document (that is logged, and a test fails).
    code: Type.Unsafe<ErrorCode>({ type: 'string', enum: codes, description: 'Stable, machine-readable reason.' }),
    message: Type.String({ description: 'A sentence for people; may change.' }),
    field: Type.Optional(Type.String({ description: 'The request field at fault.' })),
    attempts_left: Type.Optional(Type.Integer({ minimum: 0 })),
    retry_after_seconds: Type.Optional(Type.Integer({ minimum: 1, description: 'Also sent as Retry-After.' }))
  }, { additionalProperties: true })
}

/**
 * Documents a route's error answers from the codes it gives (the error catalog knows each code's
 * status), plus those every route may give. The OpenAPI document lists, per status, exactly the
 * codes that can come back; tests hold the routes to it.
 */
export function errorResponses (codes: ErrorCode[]): Record<number, ReturnType<typeof errorResponse>> {
  const byStatus = new Map<number, ErrorCode[]>()
  for (const code of new Set([...codes, ...everyRoute])) {
    const status = statusOf(code)
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  return Object.fromEntries([...byStatus].map(([status, listed]) => [status, errorResponse(listed)]))
}

export const lockedOut: ErrorCode[] = ['ACCOUNT_LOCKED']
/** Nginx limits the rate of the sign-in and registration routes per client address. */
export const rateLimited: ErrorCode[] = ['RATE_LIMITED']
/** Codes only the infrastructure in front of or under the API gives; the e2e tests reach them. */
export const edgeOnly: ReadonlySet<string> = new Set<string>([...everyRoute, ...rateLimited])
export const basicAuthFailures: ErrorCode[] = ['AUTH_REQUIRED', 'INVALID_CREDENTIALS', ...lockedOut]
export const bearerFailures: ErrorCode[] = ['TOKEN_MISSING', 'TOKEN_INVALID', 'TOKEN_EXPIRED', 'TOKEN_REVOKED']
export const newPasswordFailures: ErrorCode[] = ['PASSWORD_TOO_SHORT', 'PASSWORD_TOO_LONG', 'PASSWORD_TOO_COMMON']

export const Email = Type.String({ minLength: 1, maxLength: 320, description: 'Trimmed, NFC-normalised and lower-cased before use.', examples: ['you@example.com'] })
/** A password being proved: anything up to a bound; the wrong ones are refused as credentials. */
export const Password = Type.String({ minLength: 1, maxLength: 1024 })
/** A password being set: the length rules are in the schema; the common-password rule is not. */
export const NewPassword = Type.String({
  minLength: PASSWORD_MIN_LENGTH,
  maxLength: PASSWORD_MAX_LENGTH,
  description: `${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters (Unicode code points); common passwords are refused.`
})

/**
 * An emailed code as a route takes it: exactly CODE_LENGTH ASCII digits. Empty breaks minLength
 * (CODE_MISSING), anything else the pattern (CODE_MALFORMED): see fieldRuleCodes in errors.ts.
 */
export function EmailedCode (length: number, description: string) {
  return Type.String({ minLength: 1, pattern: `^[0-9]{${length}}$`, description, examples: ['0427135986'.slice(0, length)] })
}

export const Credentials = Type.Object({ email: Email, password: Password })
export const NewCredentials = Type.Object({ email: Email, password: NewPassword })
export type Credentials = Static<typeof Credentials>

export const basicAuthSecurity = [{ basicAuth: [] }]
export const bearerAuthSecurity = [{ bearerAuth: [] }]
