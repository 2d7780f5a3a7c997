import { CloudEventEnvelope, CodeDeliveryData, type CodePurpose, EventTypes, isDeliverableAddress, PasswordChangedData } from '@latchkey/shared'
import { Compile } from 'typebox/compile'
import { Type } from 'typebox'

/** The event types that ask for a code mail, and which one. `user.deleted` is deliberately absent. */
export const mailPurposeByType: Readonly<Record<string, CodePurpose>> = {
  [EventTypes.userRegistered]: 'activation',
  [EventTypes.activationCodeRequested]: 'activation',
  [EventTypes.passwordResetRequested]: 'password-reset'
}

/** The event types that ask for a security notice to the account's owner (one so far). */
export const noticeTypes: readonly string[] = [EventTypes.passwordChanged]

/** Everything the mail queue binds: a type missing here never reaches the mailer. */
export const mailEventTypes = [...Object.keys(mailPurposeByType), ...noticeTypes]

/** What a mail event has whatever mail it asks for. */
interface MailEventBase {
  id: string
  type: string
  /** When the event happened: when its code was issued, or when the password was set. */
  time: string
  /** The CloudEvents distributed-tracing extension attribute, if the event has one. */
  traceparent?: string
}

/** A validated event that asks for a one-time code mail; the code expires, so may arrive too late. */
export interface CodeMailEvent extends MailEventBase {
  kind: 'code'
  purpose: CodePurpose
  data: CodeDeliveryData
}

/** A validated event that asks for a notice to the account's owner; it never expires. */
export interface NoticeMailEvent extends MailEventBase {
  kind: 'notice'
  data: PasswordChangedData
}

export type MailEvent = CodeMailEvent | NoticeMailEvent
export type MailKind = MailEvent['kind']

export type ParsedMailEvent =
  | { valid: true, event: MailEvent }
  | { valid: false, reason: string, eventId?: string, traceparent?: string }

const envelope = Compile(CloudEventEnvelope)
const codeDelivery = Compile(CodeDeliveryData)
const passwordChanged = Compile(PasswordChangedData)
// A notice tells its reader when it happened, so its time must be one.
const noticeTime = Compile(Type.String({ format: 'date-time' }))

/**
 * Turns a message body into a mail event, or says why it is not one. Anything that fails here
 * fails the same way on every delivery, so the caller dead-letters it instead of retrying.
 */
export function parseMailEvent (body: Buffer): ParsedMailEvent {
  let json: unknown
  try {
    json = JSON.parse(body.toString('utf8'))
  } catch {
    return { valid: false, reason: 'body is not JSON' }
  }
  if (!envelope.Check(json)) return { valid: false, reason: `not a CloudEvent: ${firstError(envelope.Errors(json))}` }

  const { traceparent } = json as { traceparent?: unknown }
  const trace = typeof traceparent === 'string' ? { traceparent } : {}
  const base = { id: json.id, type: json.type, time: json.time, ...trace }
  const refuse = (reason: string): ParsedMailEvent => ({ valid: false, reason, eventId: json.id, ...trace })

  let event: MailEvent
  const purpose = mailPurposeByType[json.type]
  if (purpose !== undefined) {
    if (!codeDelivery.Check(json.data)) return refuse(`bad data: ${firstError(codeDelivery.Errors(json.data))}`)
    event = { ...base, kind: 'code', purpose, data: json.data }
  } else if (json.type === EventTypes.passwordChanged) {
    if (!passwordChanged.Check(json.data)) return refuse(`bad data: ${firstError(passwordChanged.Errors(json.data))}`)
    if (!noticeTime.Check(json.time)) return refuse('event time is not a date-time')
    event = { ...base, kind: 'notice', data: json.data }
  } else {
    return refuse(`event type ${json.type} is not mailed`)
  }
  // The mailer is the last line before SMTP: it checks again what the API already refused.
  if (!isDeliverableAddress(event.data.email)) return refuse('recipient address is not a plain address')
  return { valid: true, event }
}

function firstError (errors: Iterable<{ instancePath: string, message: string }>): string {
  const [first] = errors
  return first ? `${first.instancePath || '/'} ${first.message}` : 'invalid'
}
