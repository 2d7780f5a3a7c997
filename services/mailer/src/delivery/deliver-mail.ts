import { performance } from 'node:perf_hooks'
import type { FastifyBaseLogger } from 'fastify'
import { composeCodeMail, type ComposedMail } from '../mail/code-mail.js'
import { composePasswordNotice } from '../mail/notice-mail.js'
import type { SmtpSender } from '../mail/smtp.js'
import type { MailEvent } from '../mail-events/mail-event.js'
import type { Claim, DeliveryLog } from './delivery-log.js'
import type { DeliveryMetrics } from './delivery-metrics.js'
import { describeFailure, isPermanentSmtpFailure } from './smtp-failures.js'

/** What the consumer must do with the message after one attempt. */
export type DeliveryOutcome =
  | { action: 'ack', result: 'sent' | 'already-sent' | 'dropped-expired' }
  /** Another copy holds the claim: look again once its lease has run out, without counting an attempt. */
  | { action: 'wait', delayMs: number, reason: string }
  | { action: 'retry', cause: 'smtp-failure' | 'delivery-log', reason: string }
  | { action: 'dead-letter', cause: 'permanent-failure' | 'attempts-exhausted', reason: string }

export interface DeliveryDeps {
  deliveries: DeliveryLog
  smtp: SmtpSender
  metrics: DeliveryMetrics
  /** The message's logger, carrying its event and trace ids. */
  log: FastifyBaseLogger
  now: () => Date
}

/**
 * One attempt at the mail an event asks for, a code mail or a notice: the same claim, send and
 * record for both, but only a code expires. Never throws: every failure becomes an outcome.
 *
 * Delivery is at-least-once. The mail is recorded as sent only after the SMTP server accepted
 * it, so a crash (or a MongoDB failure) between the two leaves the claim to run out, and the
 * redelivered message sends the mail a second time. One duplicate is the accepted price: losing
 * a code mail or a security notice is worse, and SMTP cannot be part of a transaction.
 */
export async function deliverMail (event: MailEvent, deps: DeliveryDeps, finalAttempt: boolean): Promise<DeliveryOutcome> {
  const { deliveries, log, now } = deps

  let claimed
  try {
    claimed = await deliveries.claim(event.id, event.type, now())
  } catch (err) {
    return { action: 'retry', cause: 'delivery-log', reason: `delivery log unavailable: ${describeFailure(err)}` }
  }
  if (claimed.result === 'already-sent') return { action: 'ack', result: 'already-sent' }

  // Checked on every attempt, so a code that expired while SMTP was down is never mailed late.
  const expired = event.kind === 'code' && Date.parse(event.data.codeExpiresAt) <= now().getTime()
  if (claimed.result === 'held') {
    // Its holder records what happened; this copy has nothing left to do once the code is dead.
    if (expired) return { action: 'ack', result: 'dropped-expired' }
    return { action: 'wait', delayMs: claimed.retryInMs, reason: 'another copy of this event holds the claim' }
  }
  const { claim } = claimed
  if (expired) {
    await deliveries.markDroppedExpired(claim, now()).catch((err: unknown) =>
      log.warn({ err: describeFailure(err) }, 'could not record the dropped mail'))
    return { action: 'ack', result: 'dropped-expired' }
  }

  try {
    await sendHoldingClaim(event, claim, deps)
  } catch (err) {
    // SMTP replies often quote the address; neither the record nor the logs keep it.
    const reason = withoutAddress(describeFailure(err), event.data.email)
    const permanent = isPermanentSmtpFailure(err)
    const giveUp = finalAttempt || permanent
    const record = giveUp ? deliveries.markFailed(claim, reason, now()) : deliveries.release(claim, reason, now())
    // If this write fails too, the claim's lease runs out by itself and a later attempt takes over.
    await record.catch((recordErr: unknown) => log.warn({ err: describeFailure(recordErr) }, 'could not record the failed attempt'))
    if (!giveUp) return { action: 'retry', cause: 'smtp-failure', reason }
    return { action: 'dead-letter', cause: permanent ? 'permanent-failure' : 'attempts-exhausted', reason }
  }

  try {
    await deliveries.markSent(claim, now())
  } catch (err) {
    // The mail is out: retrying would send it again, so this is only worth a loud log line.
    log.error({ err: describeFailure(err) }, 'mail sent but not recorded; a redelivery would send it again')
  }
  return { action: 'ack', result: 'sent' }
}

/** The SMTP send, with the claim's lease renewed for as long as it runs, and timed. */
async function sendHoldingClaim (event: MailEvent, claim: Claim, { deliveries, smtp, metrics, log, now }: DeliveryDeps): Promise<void> {
  const lease = deliveries.keepAlive(claim, (problem) => log.warn({ problem }, 'claim not renewed while sending; the mail may go out twice'))
  const started = performance.now()
  try {
    await smtp.send({ ...composeMail(event, now()), to: event.data.email, eventId: event.id })
  } catch (err) {
    metrics.smtpSendSeconds.observe({ outcome: 'failed' }, (performance.now() - started) / 1000)
    throw err
  } finally {
    lease.stop()
  }
  metrics.smtpSendSeconds.observe({ outcome: 'accepted' }, (performance.now() - started) / 1000)
  if (event.kind !== 'code') return
  const issuedAt = Date.parse(event.time)
  if (Number.isFinite(issuedAt)) metrics.codeMailLatencySeconds.observe(Math.max(0, now().getTime() - issuedAt) / 1000)
}

function composeMail (event: MailEvent, now: Date): ComposedMail {
  return event.kind === 'code' ? composeCodeMail(event.purpose, event.data, now) : composePasswordNotice(event.data, event.time)
}

function withoutAddress (text: string, address: string): string {
  return text.replace(new RegExp(address.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), '[recipient]')
}
