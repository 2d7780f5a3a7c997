import { Counter, Histogram, type Registry } from 'prom-client'

/** The mailer's own series, next to the process and HTTP ones of the shared registry. */
export class DeliveryMetrics {
  readonly received: Counter
  readonly deliveries: Counter<'result' | 'kind'>
  readonly retries: Counter<'cause'>
  readonly deadLetters: Counter<'cause'>
  readonly smtpSendSeconds: Histogram<'outcome'>
  readonly codeMailLatencySeconds: Histogram

  constructor (registry: Registry) {
    const registers = [registry]
    this.received = new Counter({ name: 'mailer_messages_received_total', help: 'Messages taken off the mail queue, copies and retries included', registers })
    this.deliveries = new Counter({
      name: 'mailer_deliveries_total',
      help: 'Messages settled without an error, by result: sent, already-sent (a copy of a sent event), dropped-expired (code expired before it could be sent); and by kind: code, notice',
      labelNames: ['result', 'kind'],
      registers
    })
    this.retries = new Counter({
      name: 'mailer_retries_total',
      help: 'Messages parked for a later attempt, by cause: smtp-failure, delivery-log (MongoDB), claim-held (another copy holds the claim)',
      labelNames: ['cause'],
      registers
    })
    this.deadLetters = new Counter({
      name: 'mailer_dead_letters_total',
      help: 'Messages sent to the dead-letter queue, by cause: invalid-message, permanent-failure (SMTP 5xx), attempts-exhausted',
      labelNames: ['cause'],
      registers
    })
    this.smtpSendSeconds = new Histogram({
      name: 'mailer_smtp_send_duration_seconds',
      help: 'Time from handing a mail to SMTP until the server accepted it (or the attempt failed)',
      labelNames: ['outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
      registers
    })
    this.codeMailLatencySeconds = new Histogram({
      name: 'mailer_code_mail_latency_seconds',
      help: 'From the event\'s time (the code was issued) until the SMTP server accepted its mail',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120],
      registers
    })
  }
}
