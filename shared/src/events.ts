import { randomUUID } from 'node:crypto'
import { Type, type Static } from 'typebox'

/** The topic exchange every `user.*` event is published to. */
export const DEFAULT_EVENTS_EXCHANGE = 'latchkey.events'

export const EventTypes = {
  userRegistered: 'user.registered',
  activationCodeRequested: 'user.activation_code_requested',
  passwordResetRequested: 'user.password_reset_requested',
  userDeleted: 'user.deleted'
} as const
export type EventType = typeof EventTypes[keyof typeof EventTypes]

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

export const UserDeletedData = Type.Object({
  userId: Type.String(),
  email: Type.String()
})
export type UserDeletedData = Static<typeof UserDeletedData>

/** A CloudEvents 1.0 envelope in structured JSON mode. */
export const CloudEventEnvelope = Type.Object({
  specversion: Type.Literal('1.0'),
  id: Type.String({ minLength: 1 }),
  source: Type.String({ minLength: 1 }),
  type: Type.String({ minLength: 1 }),
  time: Type.String(),
  subject: Type.Optional(Type.String()),
  datacontenttype: Type.Literal('application/json'),
  data: Type.Unknown()
})
export interface CloudEvent<T = unknown> extends Static<typeof CloudEventEnvelope> { data: T }

export function createEvent<T> (type: EventType, source: string, data: T, subject?: string): CloudEvent<T> {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source,
    type,
    time: new Date().toISOString(),
    ...(subject ? { subject } : {}),
    datacontenttype: 'application/json',
    data
  }
}
