import { serviceConfigFields } from '@latchkey/shared'
import { Type, type Static } from 'typebox'

export const AuthApiConfigSchema = Type.Object({
  ...serviceConfigFields(3000),
  /** Names this process in logs, health answers and outbox leases. */
  REPLICA_ID: Type.String({ default: 'api-1', minLength: 1 }),
  /** Prometheus metrics are served on a listener of their own, which Nginx never exposes; 0 picks a free port. */
  METRICS_HOST: Type.String({ default: '127.0.0.1' }),
  METRICS_PORT: Type.Integer({ default: 9101, minimum: 0, maximum: 65535 }),
  /** Key for the HMAC that stores one-time codes; shared by every replica. */
  CODE_SECRET: Type.String({ minLength: 32 }),
  /**
   * Passwords hash with argon2id at OWASP's cost, always: this is the only value accepted, so a
   * deployment asking for a cheaper one is refused at start instead of silently ignored. The unit
   * tests' quicker cost reaches the app as an option of their helper, never as configuration.
   */
  PASSWORD_HASHING: Type.Literal('argon2id-owasp', { default: 'argon2id-owasp' }),
  /** Digits of an activation code: the original design's 4, bounded by CODE_FAILURES_PER_DAY (README, "Rules"). */
  CODE_LENGTH: Type.Integer({ default: 4, minimum: 4, maximum: 10 }),
  /** Digits of a password-reset code: it recovers an account, so never fewer than 6 (NIST SP 800-63B-4 §4.2.1.2). */
  RESET_CODE_LENGTH: Type.Integer({ default: 8, minimum: 6, maximum: 10 }),
  CODE_TTL_SECONDS: Type.Integer({ default: 60, minimum: 10, maximum: 600 }),
  CODE_MAX_ATTEMPTS: Type.Integer({ default: 5, minimum: 1, maximum: 20 }),
  /**
   * Wrong codes allowed per account and purpose in 24 hours, across every code issued meanwhile:
   * past it the purpose issues and checks no code until the window ends. A new code never
   * resets this count (NIST SP 800-63B-4 §3.1.3.2).
   */
  CODE_FAILURES_PER_DAY: Type.Integer({ default: 10, minimum: 1, maximum: 1000 }),
  RESEND_INTERVAL_SECONDS: Type.Integer({ default: 30, minimum: 0, maximum: 3600 }),
  /** Per account and purpose (activation, password reset): each has its own count. */
  CODE_MAILS_PER_DAY: Type.Integer({ default: 10, minimum: 1, maximum: 1000 }),
  /** Of those, how many unauthenticated requests from one network (/24, /64) may trigger. */
  CODE_MAILS_PER_NETWORK_PER_DAY: Type.Integer({ default: 3, minimum: 1, maximum: 1000 }),
  /** Accounts never activated are removed this long after their last registration. */
  PENDING_ACCOUNT_RETENTION_DAYS: Type.Integer({ default: 7, minimum: 1, maximum: 365 }),
  RETENTION_SWEEP_SECONDS: Type.Integer({ default: 3600, minimum: 10 }),
  /** The outbox safety sweep, for events a dead replica left behind (everything else is published at once). */
  OUTBOX_SWEEP_SECONDS: Type.Integer({ default: 10, minimum: 1, maximum: 300 }),
  /** Proxies whose X-Forwarded-* headers are believed (Fastify trustProxy). */
  TRUST_PROXY: Type.String({ default: '127.0.0.1' }),
  /** Where the Ed25519 signing keys live; every replica must see the same directory. */
  JWT_KEYS_DIR: Type.String({ default: './jwt-keys', minLength: 1 }),
  /** A PKCS#8 PEM Ed25519 private key; when set, it replaces the keys directory. */
  JWT_PRIVATE_KEY: Type.String({ default: '' }),
  JWT_AUDIENCE: Type.String({ default: 'latchkey', minLength: 1 }),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ default: 900, minimum: 30, maximum: 86_400 }),
  REFRESH_TOKEN_TTL_SECONDS: Type.Integer({ default: 2_592_000, minimum: 60 }),
  /** A refresh token presented again this soon gets the same successor (two tabs refreshing at once). */
  REFRESH_REUSE_INTERVAL_SECONDS: Type.Integer({ default: 10, minimum: 0, maximum: 300 }),
  /** Open sign-ins kept per account; the oldest ends when one more starts. */
  MAX_SESSIONS_PER_ACCOUNT: Type.Integer({ default: 20, minimum: 1, maximum: 1000 }),
  /** `id:secret` pairs, comma-separated, of the services allowed to call /oauth/introspect. */
  INTROSPECTION_CLIENTS: Type.String({ default: '', pattern: '^([^:,]+:[^,]{32,})?(,[^:,]+:[^,]{32,})*$' }),
  LOCKOUT_THRESHOLD: Type.Integer({ default: 10, minimum: 1 }),
  LOCKOUT_BASE_SECONDS: Type.Integer({ default: 30, minimum: 1 }),
  LOCKOUT_MAX_SECONDS: Type.Integer({ default: 900, minimum: 1 }),
  /** How long a device token (the cookie a browser gets after signing in) keeps its own lockout count. */
  DEVICE_TOKEN_TTL_DAYS: Type.Integer({ default: 180, minimum: 1, maximum: 730 }),
  /** The origin clients use; it is the access tokens' issuer (iss). */
  PUBLIC_URL: Type.String({ default: 'https://localhost:8443', pattern: '^https?://' })
})

export type AuthApiConfig = Static<typeof AuthApiConfigSchema>

export function introspectionClients (config: Pick<AuthApiConfig, 'INTROSPECTION_CLIENTS'>): Array<{ id: string, secret: string }> {
  return config.INTROSPECTION_CLIENTS.split(',').filter(Boolean).map((pair) => {
    const separator = pair.indexOf(':')
    return { id: pair.slice(0, separator), secret: pair.slice(separator + 1) }
  })
}
