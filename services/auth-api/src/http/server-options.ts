import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { quietRequestLogController } from '@latchkey/shared'
import { answerFor, sendError } from './errors.js'

/**
 * A request id travels into logs, events and AMQP properties (the correlation id is a short
 * string there: at most 255 bytes). An id from a client inside the network is adopted only when
 * it is short and plain; anything else gets a fresh one, so no header can make an event unsendable.
 */
const ADOPTABLE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/

export function requestIdOf (request: IncomingMessage): string {
  const presented = request.headers['x-request-id']
  return typeof presented === 'string' && ADOPTABLE_REQUEST_ID.test(presented) ? presented : randomUUID()
}

/** Fastify server settings shared by the real server and the tests' app builder. */
export function serverOptions (trustProxy: string) {
  return {
    // Nginx sets X-Request-Id on every request; it becomes our request id and log reqId, but
    // only when it is short and plain (see requestIdOf): the header is read by genReqId.
    requestIdHeader: false as const,
    // One line per request instead (shared requestLogging, registered by the app).
    logController: quietRequestLogController(),
    genReqId: requestIdOf,
    trustProxy,
    bodyLimit: 64 * 1024,
    // Above Nginx's upstream keepalive_timeout (60 s), so Nginx closes idle connections first.
    keepAliveTimeout: 72_000,
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    http: { headersTimeout: 15_000 },
    // Fields a schema does not name are dropped, never refused (they cannot grant anything), so
    // the schemas leave additionalProperties open and the OpenAPI document promises no refusal.
    ajv: { customOptions: { coerceTypes: 'array' as const, removeAdditional: 'all' as const } },
    // Errors raised before routing (a malformed or overlong path) answer like every other error.
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      void sendError(reply, answerFor(error))
    }
  }
}
