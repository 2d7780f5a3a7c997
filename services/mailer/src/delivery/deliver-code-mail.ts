import type { FastifyBaseLogger } from 'fastify'
import { composeCodeMail } from '../mail/code-mail.js'
import type { SmtpSender } from '../mail/smtp.js'
import type { MailEvent } from '../inbox-events/mail-event.js'
import type { DeliveryLog } from './delivery-log.js'
import { describeFailure, isPermanentSmtpFailure } from './smtp-failures.js'

/** What the consumer must do with the message after one attempt. */
export type DeliveryOutcome =
  | { action: 'ack', result: 'sent' | 'already-sent' | 'dropped-expired' }
  | { action: 'retry', reason: string }
  | { action: 'dead-letter', reason: string }

export interface DeliveryDeps {
  deliveries: DeliveryLog
  smtp: SmtpSender
  log: FastifyBaseLogger
  now: () => Date
}

/**
 * One attempt at the mail an event asks for. Never throws: every failure becomes an outcome.
 *
 * Delivery is at-least-once. The mail is recorded as sent only after the SMTP server accepted
 * it, so a crash (or a MongoDB failure) between the two leaves no record and the redelivered
 * message sends the mail a second time. One duplicate is the accepted price: losing a code
 * mail is worse, and SMTP cannot be part of a transaction.
 */
export async function deliverCodeMail (event: MailEvent, deps: DeliveryDeps, finalAttempt: boolean): Promise<DeliveryOutcome> {
  const { deliveries, smtp, log, now } = deps
  const details = { type: event.type, to: event.data.email }

  let claim
  try {
    claim = await deliveries.claim(event.id, details, now())
  } catch (err) {
    return { action: 'retry', reason: `delivery log unavailable: ${describeFailure(err)}` }
  }
  if (claim === 'already-sent') return { action: 'ack', result: 'already-sent' }
  // Another copy of this event is being sent right now; look again after it finished.
  if (claim === 'busy') return { action: 'retry', reason: 'another copy of this event is being sent' }

  // Checked on every attempt, so a code that expired while SMTP was down is never mailed late.
  if (Date.parse(event.data.codeExpiresAt) <= now().getTime()) {
    await deliveries.markDroppedExpired(event.id, now()).catch((err: unknown) =>
      log.warn({ eventId: event.id, err: describeFailure(err) }, 'could not record the dropped mail'))
    return { action: 'ack', result: 'dropped-expired' }
  }

  try {
    await smtp.send({ ...composeCodeMail(event.purpose, event.data, now()), to: event.data.email, eventId: event.id })
  } catch (err) {
    const reason = describeFailure(err)
    const giveUp = finalAttempt || isPermanentSmtpFailure(err)
    const record = giveUp ? deliveries.markFailed(event.id, reason, now()) : deliveries.release(event.id, reason, now())
    // If this write fails too, the claim's lease runs out by itself and a later attempt takes over.
    await record.catch((recordErr: unknown) =>
      log.warn({ eventId: event.id, err: describeFailure(recordErr) }, 'could not record the failed attempt'))
    return giveUp ? { action: 'dead-letter', reason } : { action: 'retry', reason }
  }

  try {
    await deliveries.markSent(event.id, details, now())
  } catch (err) {
    // The mail is out: retrying would send it again, so this is only worth a loud log line.
    log.error({ eventId: event.id, err: describeFailure(err) }, 'mail sent but not recorded; a redelivery would send it again')
  }
  return { action: 'ack', result: 'sent' }
}
