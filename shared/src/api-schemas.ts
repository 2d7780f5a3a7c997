// The bodies of the API's successful answers, as TypeBox schemas: auth-api's routes validate and
// document them (OpenAPI), and the web page takes its types from them (type-only imports, so the
// page bundles none of this).
import { Type, type Static } from 'typebox'

/** Every successful answer says what happened, in words. */
export const Done = Type.Object({ status: Type.Literal('success'), message: Type.String() })
export type Done = Static<typeof Done>

/** Where a pending code stands; sent whenever a code was issued or tried. */
export const PendingCode = {
  code_expires_at: Type.String({ format: 'date-time' }),
  resend_available_at: Type.String({ format: 'date-time' }),
  attempts_left: Type.Integer({ minimum: 0 })
}

export const Registered = Type.Object({ ...Done.properties, user_id: Type.String(), email: Type.String(), ...PendingCode })
export type Registered = Static<typeof Registered>

export const Activated = Type.Object({ ...Done.properties, activated_at: Type.String({ format: 'date-time' }) })
export type Activated = Static<typeof Activated>

export const CodeSent = Type.Object({ ...Done.properties, ...PendingCode })
export type CodeSent = Static<typeof CodeSent>

/** The same for every address: how long a code would live, and when another could be asked for. */
export const ResetRequested = Type.Object({
  ...Done.properties,
  code_ttl_seconds: Type.Integer({ minimum: 1 }),
  resend_interval_seconds: Type.Integer({ minimum: 0 })
})
export type ResetRequested = Static<typeof ResetRequested>

export const Tokens = Type.Object({
  ...Done.properties,
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'Seconds until the access token expires.' }),
  refresh_token: Type.Optional(Type.String({ description: 'Single use. Absent when it was set as a cookie (X-Token-Transport: cookie).' }))
})
export type Tokens = Static<typeof Tokens>

/** What an account looks like to its owner and to administrators: no secrets, no internals. */
export const Profile = Type.Object({
  id: Type.String(),
  email: Type.String(),
  status: Type.String(),
  activated: Type.Boolean(),
  roles: Type.Array(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
  activated_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  sessions: Type.Integer({ minimum: 0, description: 'Sign-ins still open.' })
})
export type Profile = Static<typeof Profile>

export const ProfileAnswer = Type.Object({ ...Done.properties, user: Profile })
export type ProfileAnswer = Static<typeof ProfileAnswer>
