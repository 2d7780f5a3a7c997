import { Compile } from 'typebox/compile'
import { CloudEventEnvelope, CodeDeliveryData, EventTypes, isDeliverableAddress } from '@latchkey/shared'
import type { CodePurpose } from '../mail/code-mail.js'

/** The event types that ask for a mail, and which mail. `user.deleted` is deliberately absent. */
export const mailPurposeByType: Readonly<Record<string, CodePurpose>> = {
  [EventTypes.userRegistered]: 'activation',
  [EventTypes.activationCodeRequested]: 'activation',
  [EventTypes.passwordResetRequested]: 'password-reset'
}

export const mailEventTypes = Object.keys(mailPurposeByType)

/** A validated event that asks for a code mail. */
export interface MailEvent {
  id: string
  type: string
  /** When the event happened, i.e. when its code was issued. */
  time: string
  purpose: CodePurpose
  data: CodeDeliveryData
  /** The CloudEvents distributed-tracing extension attribute, if the event has one. */
  traceparent?: string
}

export type ParsedMailEvent =
  | { valid: true, event: MailEvent }
  | { valid: false, reason: string, eventId?: string, traceparent?: string }

const envelope = Compile(CloudEventEnvelope)
const codeDelivery = Compile(CodeDeliveryData)

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

  const eventId = json.id
  const { traceparent } = json as { traceparent?: unknown }
  const trace = typeof traceparent === 'string' ? { traceparent } : {}
  const refuse = (reason: string): ParsedMailEvent => ({ valid: false, reason, eventId, ...trace })
  const purpose = mailPurposeByType[json.type]
  if (purpose === undefined) return refuse(`event type ${json.type} is not mailed`)
  if (!codeDelivery.Check(json.data)) return refuse(`bad data: ${firstError(codeDelivery.Errors(json.data))}`)
  // The mailer is the last line before SMTP: it checks again what the API already refused.
  if (!isDeliverableAddress(json.data.email)) return refuse('recipient address is not a plain address')

  return { valid: true, event: { id: eventId, type: json.type, time: json.time, purpose, data: json.data, ...trace } }
}

function firstError (errors: Iterable<{ instancePath: string, message: string }>): string {
  const [first] = errors
  return first ? `${first.instancePath || '/'} ${first.message}` : 'invalid'
}
