import { LogController, type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { LoggerOptions } from 'pino'

/** Request parts that carry secrets; they must never reach a log line. */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.current_password',
  '*.new_password',
  '*.code',
  '*.verification_code',
  '*.refresh_token',
  '*.access_token'
]

export function loggerOptions (service: string, level: string, instance?: string): LoggerOptions {
  return {
    level,
    base: { service, ...(instance ? { instance } : {}) },
    redact: { paths: redactedPaths, censor: '[redacted]' },
    timestamp: () => `,"time":"${new Date().toISOString()}"`
  }
}

/**
 * One line per request, written when it is answered (method, route, status, time), instead of
 * Fastify's two; the server turns its own off with `logController: quietRequestLogController()`.
 * A route's `logLevel` still applies (probes log only their failures).
 */
export const requestLogging = fp(async function requestLogging (fastify: FastifyInstance) {
  fastify.addHook('onResponse', async (request, reply) => {
    request.log.info({ req: { method: request.method, url: request.url }, res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime }, 'request completed')
  })
}, { name: 'request-logging', fastify: '5.x' })

/**
 * The server option that turns Fastify's own two lines per request off, for `requestLogging` to
 * write one: Fastify 5 documents a LogController for it (the top-level `disableRequestLogging`
 * is deprecated and prints FSTDEP023 at every start).
 */
export function quietRequestLogController (): LogController {
  return new LogController({ disableRequestLogging: true })
}
