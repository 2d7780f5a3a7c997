import { randomUUID } from 'node:crypto'
import { Type, type Static } from 'typebox'

/** The topic exchange every `user.*` event is published to. */
export const DEFAULT_EVENTS_EXCHANGE = 'latchkey.events'

export const EventTypes = {
  userRegistered: 'user.registered',
  activationCodeRequested: 'user.activation_code_requested',
  passwordResetRequested: 'user.password_reset_requested',
  sessionRevoked: 'user.session_revoked',
  passwordChanged: 'user.password_changed',
  userDisabled: 'user.disabled',
  userDeleted: 'user.deleted'
} as const
export type EventType = typeof EventTypes[keyof typeof EventTypes]

/** What an emailed code proves; each purpose has its own code, length, mail quota and daily cap of wrong codes. */
export type CodePurpose = 'activation' | 'password-reset'

/** The events that carry a one-time code: the mailer must receive every one of them. */
export const codeDeliveryEventTypes: readonly EventType[] = [EventTypes.userRegistered, EventTypes.activationCodeRequested, EventTypes.passwordResetRequested]

/** Events that carry a one-time code for the mailer to deliver. */
export const CodeDeliveryData = Type.Object({
  userId: Type.String(),
  email: Type.String({ minLength: 3 }),
  code: Type.String({ pattern: '^[0-9]{4,10}$' }),
  codeExpiresAt: Type.String({ format: 'date-time' })
})
export type CodeDeliveryData = Static<typeof CodeDeliveryData>

/** `user.disabled`: the account's sessions all ended with it. Every event that ends sessions says which. */
export const AccountChangedData = Type.Object({
  userId: Type.String(),
  sessionIds: Type.Array(Type.String())
})
export type AccountChangedData = Static<typeof AccountChangedData>

export const UserDeletedData = Type.Object({ ...AccountChangedData.properties, email: Type.String() })
export type UserDeletedData = Static<typeof UserDeletedData>

/**
 * Why `user.session_revoked` ended sessions: `logout`, `refresh_reused` and `session_limit` end
 * the sessions listed, `logout_everywhere` all of the account's. A password change, disabling
 * and deletion announce their endings with events of their own.
 */
export const SessionEndReason = Type.Enum(['logout', 'logout_everywhere', 'refresh_reused', 'session_limit'])
export type SessionEndReason = Static<typeof SessionEndReason>

/**
 * Published whenever sessions end, so services that verify access tokens on their own (JWKS)
 * can refuse the tokens of those sessions (`sid` claim) until they expire.
 */
export const SessionsEndedData = Type.Object({ ...AccountChangedData.properties, reason: SessionEndReason })
export type SessionsEndedData = Static<typeof SessionsEndedData>

/** How a password came to be set: by its owner, through an emailed reset code, or by an operator. */
export const PasswordChangeHow = Type.Enum(['changed', 'reset', 'operator'])
export type PasswordChangeHow = Static<typeof PasswordChangeHow>

/**
 * `user.password_changed`: every session the password write ended (exactly those), and where to
 * tell the owner. The mailer sends them a notice (NIST SP 800-63B-4 §4.2.3: recovery notifies).
 */
export const PasswordChangedData = Type.Object({
  ...AccountChangedData.properties,
  email: Type.String({ minLength: 3 }),
  how: PasswordChangeHow
})
export type PasswordChangedData = Static<typeof PasswordChangedData>

/** Events that tell the owner something happened to their account: the mailer sends a notice. */
export const noticeEventTypes: readonly EventType[] = [EventTypes.passwordChanged]

/** A CloudEvents 1.0 envelope in structured JSON mode. */
export const CloudEventEnvelope = Type.Object({
  specversion: Type.Literal('1.0'),
  id: Type.String({ minLength: 1 }),
  source: Type.String({ minLength: 1 }),
  type: Type.String({ minLength: 1 }),
  time: Type.String(),
  subject: Type.Optional(Type.String()),
  datacontenttype: Type.Literal('application/json'),
  /** CloudEvents distributed-tracing extension: the W3C trace context of the request behind it. */
  traceparent: Type.Optional(Type.String()),
  data: Type.Unknown()
})
export interface CloudEvent<T = unknown> extends Static<typeof CloudEventEnvelope> { data: T }

export function createEvent<T> (type: EventType, source: string, data: T, subject?: string, traceparent?: string): CloudEvent<T> {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source,
    type,
    time: new Date().toISOString(),
    ...(subject ? { subject } : {}),
    datacontenttype: 'application/json',
    ...(traceparent ? { traceparent } : {}),
    data
  }
}
