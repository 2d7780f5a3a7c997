import { Type, type Static } from 'typebox'

export const ErrorResponse = Type.Object({
  status: Type.Literal('error'),
  code: Type.String({ description: 'Stable, machine-readable reason, e.g. CODE_EXPIRED.' }),
  message: Type.String({ description: 'A sentence for people; may change.' }),
  field: Type.Optional(Type.String()),
  attempts_left: Type.Optional(Type.Integer()),
  retry_after_seconds: Type.Optional(Type.Integer())
}, { $id: 'ErrorResponse', additionalProperties: true })

export const errorResponses = (...statuses: number[]): Record<number, typeof ErrorResponse> =>
  Object.fromEntries(statuses.map((status) => [status, ErrorResponse]))

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
