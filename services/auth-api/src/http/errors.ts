import type { FastifyError, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/**
 * An expected failure with a stable, machine-readable `code`. Clients branch on `code`;
 * `message` is for people and may change.
 */
export class ApiError extends Error {
  constructor (
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {}
  ) {
    super(message)
  }
}

/** A 429 that says when to come back, in `Retry-After` and in the body (whole seconds, at least 1). */
export function tooManyUntil (retryAt: Date, now: Date, code: string, message: (seconds: number) => string, details: Record<string, unknown> = {}): ApiError {
  const seconds = Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / 1000))
  return new ApiError(429, code, message(seconds), { ...details, retry_after_seconds: seconds }, { 'retry-after': String(seconds) })
}

/** Fastify's own errors, translated to the codes our API documents. */
const frameworkCodes: Record<string, [number, string, string]> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json or application/x-www-form-urlencoded.'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'BODY_TOO_LARGE', 'The request body is too large.'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'INVALID_BODY', 'The JSON body is empty.'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'INVALID_BODY', 'The Content-Length does not match the body.'],
  FST_ERR_CTP_EMPTY_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE', 'The Content-Type header is empty.'],
  FST_BASIC_AUTH_MISSING_OR_BAD_AUTHORIZATION_HEADER: [401, 'AUTH_REQUIRED', 'Send your email and password with HTTP Basic authentication.'],
  FST_JWT_NO_AUTHORIZATION_IN_HEADER: [401, 'TOKEN_MISSING', 'Send an access token: Authorization: Bearer <token>.'],
  FST_JWT_AUTHORIZATION_TOKEN_EXPIRED: [401, 'TOKEN_EXPIRED', 'The access token has expired.'],
  FST_JWT_AUTHORIZATION_TOKEN_INVALID: [401, 'TOKEN_INVALID', 'The access token is not valid.'],
  FST_JWT_AUTHORIZATION_TOKEN_UNTRUSTED: [401, 'TOKEN_REVOKED', 'This access token was revoked: sign in again.'],
  FST_JWT_BAD_REQUEST: [401, 'TOKEN_INVALID', 'The Authorization header is malformed.'],
  FST_JWT_BAD_COOKIE_REQUEST: [401, 'TOKEN_INVALID', 'The token cookie is malformed.']
}

/** The driver's errors for a database it cannot reach: a passing outage, not a bug. */
const databaseUnreachable = new Set(['MongoServerSelectionError', 'MongoNetworkError', 'MongoNetworkTimeoutError', 'MongoTopologyClosedError', 'MongoNotConnectedError'])

export interface ErrorBody {
  status: 'error'
  code: string
  message: string
  [detail: string]: unknown
}

export function errorBody (code: string, message: string, details: Record<string, unknown> = {}): ErrorBody {
  return { status: 'error', code, message, ...details }
}

function describe (error: FastifyError): { statusCode: number, body: ErrorBody, headers: Record<string, string> } {
  if (error instanceof ApiError) {
    return { statusCode: error.statusCode, body: errorBody(error.code, error.message, error.details), headers: error.headers }
  }
  if (error.validation) {
    const first = error.validation[0]
    const field = first?.instancePath ? first.instancePath.slice(1).replaceAll('/', '.') : (first?.params as { missingProperty?: string } | undefined)?.missingProperty
    return {
      statusCode: 400,
      body: errorBody('VALIDATION_FAILED', `Invalid ${error.validationContext ?? 'request'}: ${error.message}`, field ? { field } : {}),
      headers: {}
    }
  }
  // fast-jwt's own errors (bad algorithm, malformed token, key lookup) reach here unwrapped at times.
  const known = error.code?.startsWith('FAST_JWT_') ? frameworkCodes.FST_JWT_AUTHORIZATION_TOKEN_INVALID : (error.code ? frameworkCodes[error.code] : undefined)
  if (known) {
    const [statusCode, code, message] = known
    return { statusCode, body: errorBody(code, message), headers: {} }
  }
  if (databaseUnreachable.has(error.name)) {
    return { statusCode: 503, body: errorBody('DATABASE_UNAVAILABLE', 'The database is unreachable right now. Try again shortly.'), headers: { 'retry-after': '5' } }
  }
  const statusCode = error.statusCode ?? 500
  if (statusCode >= 500) {
    return { statusCode, body: errorBody('INTERNAL_ERROR', 'Something went wrong on our side. Try again.'), headers: {} }
  }
  return { statusCode, body: errorBody('BAD_REQUEST', error.message), headers: {} }
}

async function errorHandling (fastify: FastifyInstance): Promise<void> {
  fastify.setErrorHandler((error: FastifyError, request, reply) => {
    const { statusCode, body, headers } = describe(error)
    if (statusCode >= 500) {
      request.log.error({ err: error }, 'request failed')
    } else {
      request.log.info({ code: body.code, statusCode }, 'request refused')
    }
    return reply.code(statusCode).headers(headers).send(body)
  })

  fastify.setNotFoundHandler((request, reply) => {
    return reply.code(404).send(errorBody('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}.`))
  })
}

export default fp(errorHandling, { name: 'error-handling' })
