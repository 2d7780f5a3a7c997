import { Type, type Static } from 'typebox'

function errorResponse (codes: string[]) {
  return Type.Object({
    status: Type.Literal('error'),
    // Listed for the reader, not enforced: the serializer must never fail on an error body.
    code: Type.String({ description: `Stable, machine-readable reason: ${codes.join(', ')}.`, examples: codes }),
    message: Type.String({ description: 'A sentence for people; may change.' }),
    field: Type.Optional(Type.String({ description: 'The request field at fault.' })),
    attempts_left: Type.Optional(Type.Integer()),
    retry_after_seconds: Type.Optional(Type.Integer())
  }, { additionalProperties: true })
}

/** Errors any route can answer: malformed or oversized bodies, a database outage, an account busy with another request. */
const everyRoute: Record<number, string[]> = {
  400: ['VALIDATION_FAILED', 'BAD_REQUEST'],
  413: ['BODY_TOO_LARGE'],
  415: ['UNSUPPORTED_MEDIA_TYPE'],
  503: ['DATABASE_UNAVAILABLE', 'BUSY']
}

/** Documents a route's error answers: the codes it gives per status, plus the ones every route may give. */
export function errorResponses (codesByStatus: Record<number, string[]>): Record<number, ReturnType<typeof errorResponse>> {
  const statuses = new Set([...Object.keys(everyRoute), ...Object.keys(codesByStatus)].map(Number))
  return Object.fromEntries([...statuses].map((status) => [status, errorResponse([...(codesByStatus[status] ?? []), ...(everyRoute[status] ?? [])])]))
}

export const lockedOut = ['ACCOUNT_LOCKED']
export const basicAuthFailures = ['AUTH_REQUIRED', 'INVALID_CREDENTIALS']
export const bearerFailures = ['TOKEN_MISSING', 'TOKEN_INVALID', 'TOKEN_EXPIRED', 'TOKEN_REVOKED']

export const Email = Type.String({ maxLength: 320, description: 'Trimmed, NFC-normalised and lower-cased before use.', examples: ['foo@bar.com'] })
export const Password = Type.String({ maxLength: 1024, description: '8 to 256 characters; common passwords are refused.' })

export const Credentials = Type.Object({ email: Email, password: Password }, { additionalProperties: false })
export type Credentials = Static<typeof Credentials>

/** Where a pending code stands; sent whenever a code was issued or tried. */
export const PendingCode = {
  code_expires_at: Type.String({ format: 'date-time' }),
  resend_available_at: Type.String({ format: 'date-time' }),
  attempts_left: Type.Integer({ minimum: 0 })
}

export const basicAuthSecurity = [{ basicAuth: [] }]
export const bearerAuthSecurity = [{ bearerAuth: [] }]
