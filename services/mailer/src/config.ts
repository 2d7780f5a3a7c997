import { Type, type Static } from 'typebox'
import { serviceConfigFields } from '@latchkey/shared'

/** Everything the mailer reads from its environment, validated once at startup (server.ts). */
export const MailerConfigSchema = Type.Object({
  ...serviceConfigFields(3100),
  /** Also the prefix of the retry queue, the dead-letter exchange and the dead-letter queue. */
  MAIL_QUEUE: Type.String({ default: 'latchkey.mailer', minLength: 1 }),
  SMTP_URL: Type.String({ pattern: '^smtps?://' }),
  MAIL_FROM: Type.String({ default: 'Latchkey <no-reply@latchkey.local>', minLength: 3 }),
  /** Unacked messages in flight; bounds memory and parallel SMTP sends. */
  PREFETCH: Type.Integer({ default: 5, minimum: 1, maximum: 1000 }),
  /**
   * Sending attempts before a message goes to the dead-letter queue. Also the quorum queue's
   * x-delivery-limit, which is fixed when the queue is first declared: changing it later
   * needs the queue to be re-created (or a policy).
   */
  MAX_DELIVERY_ATTEMPTS: Type.Integer({ default: 8, minimum: 1, maximum: 100 }),
  RETRY_BASE_DELAY_MS: Type.Integer({ default: 1000, minimum: 1 }),
  RETRY_MAX_DELAY_MS: Type.Integer({ default: 60000, minimum: 1 }),
  /**
   * How long a claim on an event outlives its holder's last renewal (every third of it while
   * sending). A crashed mailer's mail is sent again about this long after the crash, so it must
   * stay well inside a code's life (60 s), and well above a MongoDB round trip.
   */
  DELIVERY_LEASE_MS: Type.Integer({ default: 10_000, minimum: 1000, maximum: 30_000 }),
  /** How long a delivery record is kept after its last change. */
  DELIVERY_RETENTION_HOURS: Type.Integer({ default: 168, minimum: 1, maximum: 8760 }),
  /** How often expired delivery records are deleted (servers without a TTL monitor need it). */
  DELIVERY_SWEEP_INTERVAL_MS: Type.Integer({ default: 600_000, minimum: 100 }),
  /** Prometheus metrics, on a listener of their own (never published through Nginx). */
  METRICS_HOST: Type.String({ default: '127.0.0.1' }),
  METRICS_PORT: Type.Integer({ default: 9110, minimum: 0, maximum: 65535 })
})

export type MailerConfig = Static<typeof MailerConfigSchema>
