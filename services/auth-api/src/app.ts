import fastifyFormbody from '@fastify/formbody'
import { databaseReachable, healthRoutes, requestLogging } from '@latchkey/shared'
import type { FastifyInstance } from 'fastify'
import accounts from './accounts/accounts.js'
import type { HashingCost } from './credentials/passwords.js'
import activation from './activation/routes.js'
import admin from './admin/routes.js'
import { introspectionClients, type AuthApiConfig } from './config.js'
import basicAuth from './credentials/basic-auth.js'
import events from './events/events.js'
import authMetrics from './monitoring/auth-metrics.js'
import errorHandling, { type ErrorHandlingOptions } from './http/errors.js'
import noStore from './http/no-store.js'
import openapi from './http/openapi.js'
import passwordReset from './password-reset/routes.js'
import profile from './profile/routes.js'
import registration from './registration/routes.js'
import introspection from './sessions/introspection.js'
import sessionRoutes from './sessions/routes.js'
import accessTokens from './sessions/access-tokens.js'
import database from './storage/database.js'
import retention from './storage/retention.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The time every rule about codes, tokens and retention is judged by; tests move it. */
    clock: () => Date
  }
}

export interface AppOptions {
  config: AuthApiConfig
  clock?: () => Date
  /** A throwaway database for tests; defaults to the one in MONGO_URL. */
  databaseName?: string
  onUndocumentedError?: ErrorHandlingOptions['onUndocumented']
  /** For the unit tests' helper only: a cheaper argon2id cost. Absent, as from server.ts, it is OWASP's. */
  passwordHashing?: HashingCost
}

const DAY_MS = 86_400_000

export default async function app (fastify: FastifyInstance, { config, clock, databaseName, onUndocumentedError, passwordHashing }: AppOptions): Promise<void> {
  fastify.decorate('clock', clock ?? (() => new Date()))

  await fastify.register(requestLogging)
  await fastify.register(authMetrics, { host: config.METRICS_HOST, port: config.METRICS_PORT })
  await fastify.register(noStore)
  await fastify.register(errorHandling, { ...(onUndocumentedError ? { onUndocumented: onUndocumentedError } : {}) })
  // The API speaks JSON and HTML forms only; a text/plain body is refused (415), not half-parsed.
  fastify.removeContentTypeParser('text/plain')
  await fastify.register(fastifyFormbody)
  await fastify.register(openapi, { publicUrl: config.PUBLIC_URL })

  await fastify.register(database, { url: config.MONGO_URL, ...(databaseName ? { databaseName } : {}) })
  await fastify.register(accounts, {
    codeSecret: config.CODE_SECRET,
    codeLengths: { activation: config.CODE_LENGTH, 'password-reset': config.RESET_CODE_LENGTH },
    codeTtlSeconds: config.CODE_TTL_SECONDS,
    codeMaxAttempts: config.CODE_MAX_ATTEMPTS,
    codeFailuresPerDay: config.CODE_FAILURES_PER_DAY,
    deviceTokenTtlSeconds: config.DEVICE_TOKEN_TTL_DAYS * 86_400,
    mailLimits: { intervalSeconds: config.RESEND_INTERVAL_SECONDS, perDay: config.CODE_MAILS_PER_DAY, perNetworkPerDay: config.CODE_MAILS_PER_NETWORK_PER_DAY },
    pendingRetentionMs: config.PENDING_ACCOUNT_RETENTION_DAYS * DAY_MS,
    lockout: { threshold: config.LOCKOUT_THRESHOLD, baseSeconds: config.LOCKOUT_BASE_SECONDS, maxSeconds: config.LOCKOUT_MAX_SECONDS },
    ...(passwordHashing ? { hashing: passwordHashing } : {})
  })
  await fastify.register(retention, { intervalSeconds: config.RETENTION_SWEEP_SECONDS })
  await fastify.register(events, { amqpUrl: config.AMQP_URL, exchange: config.EVENTS_EXCHANGE, replicaId: config.REPLICA_ID, sweepSeconds: config.OUTBOX_SWEEP_SECONDS })
  await fastify.register(basicAuth)
  await fastify.register(accessTokens, {
    issuer: config.PUBLIC_URL,
    audience: config.JWT_AUDIENCE,
    accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
    refreshReuseIntervalSeconds: config.REFRESH_REUSE_INTERVAL_SECONDS,
    maxSessionsPerAccount: config.MAX_SESSIONS_PER_ACCOUNT,
    secret: config.CODE_SECRET,
    keysDir: config.JWT_KEYS_DIR,
    privateKeyPem: config.JWT_PRIVATE_KEY
  })

  await fastify.register(healthRoutes, { service: 'auth-api', instance: config.REPLICA_ID, dependencies: { database: async () => await databaseReachable(fastify.db), broker: () => fastify.broker.connected } })
  await fastify.register(registration)
  await fastify.register(activation)
  await fastify.register(sessionRoutes)
  await fastify.register(introspection, { clients: introspectionClients(config) })
  await fastify.register(profile)
  await fastify.register(passwordReset)
  await fastify.register(admin)
}
