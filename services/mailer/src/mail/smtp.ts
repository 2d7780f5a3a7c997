import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import nodemailer from 'nodemailer'

export interface OutgoingMail {
  to: string
  subject: string
  text: string
  html: string
  /** Our event id, so a mail in a mailbox can be traced back to the event that caused it. */
  eventId: string
}

export interface SmtpOptions {
  url: string
  from: string
  /** How long a successful or failed reachability check is trusted, for /ready. */
  verifyCacheMs?: number
}

/** Thrown when the SMTP server answered but did not take the mail for our recipient. */
export class RecipientRefusedError extends Error {
  override name = 'RecipientRefusedError'
}

// Nodemailer waits minutes by default; a code lives for a minute, so fail fast and retry later.
const smtpTimeoutMs = 5000

/** The SMTP side of the mailer: one pooled transport for the whole process. */
export class SmtpSender {
  readonly #transport
  readonly #from: string
  readonly #verifyCacheMs: number
  #lastCheck: { at: number, reachable: Promise<boolean> } | undefined

  constructor (options: SmtpOptions) {
    this.#from = options.from
    this.#verifyCacheMs = options.verifyCacheMs ?? 5000
    this.#transport = nodemailer.createTransport({
      pool: true,
      url: options.url,
      connectionTimeout: smtpTimeoutMs,
      greetingTimeout: smtpTimeoutMs,
      socketTimeout: smtpTimeoutMs,
      // Mail content is ours, never a path or a URL to fetch.
      disableFileAccess: true,
      disableUrlAccess: true
    })
  }

  /** Resolves only once the server accepted the mail for the recipient. */
  async send (mail: OutgoingMail): Promise<void> {
    const info = await this.#transport.sendMail({
      from: this.#from,
      // An address object skips nodemailer's address parser: the recipient is used as is.
      to: { name: '', address: mail.to },
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      headers: { 'X-Latchkey-Event-Id': mail.eventId }
    })
    const accepted = (info.accepted ?? []).map(String)
    if (!accepted.some((address) => address.toLowerCase() === mail.to.toLowerCase())) {
      throw new RecipientRefusedError(`SMTP server did not accept the recipient (${info.response ?? 'no response'})`)
    }
  }

  /** Cached for a few seconds so a busy readiness probe does not open an SMTP session each time. */
  async isReachable (): Promise<boolean> {
    const now = Date.now()
    if (this.#lastCheck === undefined || now - this.#lastCheck.at > this.#verifyCacheMs) {
      this.#lastCheck = { at: now, reachable: this.#transport.verify().then(() => true, () => false) }
    }
    return await this.#lastCheck.reachable
  }

  close (): void {
    this.#transport.close()
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    smtp: SmtpSender
  }
}

async function smtp (fastify: FastifyInstance, options: SmtpOptions): Promise<void> {
  const sender = new SmtpSender(options)
  fastify.decorate('smtp', sender)
  fastify.addHook('onClose', async () => sender.close())
}

export default fp(smtp, { name: 'smtp' })
