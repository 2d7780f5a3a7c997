import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import FindMyWay, { type HTTPMethod } from 'find-my-way'
import { errorCatalog, statusOf, type ErrorBody, type ErrorCode } from '@latchkey/shared'
import { REALM } from '../credentials/basic-auth.js'
import { Refusal, type RefusalDetails } from '../refusal.js'
import { bearerFailures } from './schemas.js'

export interface ErrorAnswer {
  code: ErrorCode
  message?: string
  details?: RefusalDetails
  headers?: Record<string, string>
}

export function errorBody<C extends ErrorCode> (code: C, message: string = errorCatalog[code].message, details: RefusalDetails = {}): ErrorBody & { code: C } {
  return { status: 'error', code, message, ...details }
}

/** Sends an error answer: status from the catalog, Retry-After whenever the body says when to retry. */
export async function sendError (reply: FastifyReply, { code, message, details = {}, headers = {} }: ErrorAnswer): Promise<FastifyReply> {
  const retryAfter = details.retry_after_seconds === undefined ? {} : { 'retry-after': String(details.retry_after_seconds) }
  return await reply.code(statusOf(code)).headers({ ...headers, ...retryAfter }).send(errorBody(code, message, details))
}

/** Fastify's and its plugins' own errors, in the API's codes. */
const frameworkCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_BAD_URL: 'BAD_REQUEST',
  FST_ERR_MAX_PARAM_LENGTH: 'URI_TOO_LONG',
  FST_BASIC_AUTH_MISSING_OR_BAD_AUTHORIZATION_HEADER: 'AUTH_REQUIRED'
}

/** Schema rules whose breach has a code of its own, by the field they guard. */
const fieldRuleCodes: Record<string, Partial<Record<string, ErrorCode>>> = {
  password: { minLength: 'PASSWORD_TOO_SHORT', maxLength: 'PASSWORD_TOO_LONG' },
  new_password: { minLength: 'PASSWORD_TOO_SHORT', maxLength: 'PASSWORD_TOO_LONG' },
  verification_code: { minLength: 'CODE_MISSING', pattern: 'CODE_MALFORMED' },
  code: { minLength: 'CODE_MISSING', pattern: 'CODE_MALFORMED' }
}

/** The driver's errors for a database it cannot reach: a passing outage, not a bug. */
const databaseUnreachable = new Set(['MongoServerSelectionError', 'MongoNetworkError', 'MongoNetworkTimeoutError', 'MongoTopologyClosedError', 'MongoNotConnectedError'])

/** Whether the route that failed documents a code (a route without a response schema for its status takes any). */
export type Documents = (code: ErrorCode) => boolean

function validationAnswer (error: FastifyError, documents: Documents): ErrorAnswer {
  const first = error.validation?.[0]
  const field = first?.instancePath ? first.instancePath.slice(1).replaceAll('/', '.') : (first?.params as { missingProperty?: string } | undefined)?.missingProperty
  const ruleCode = field && first ? fieldRuleCodes[field]?.[first.keyword] : undefined
  // A field of the same name on another route (a password being proved is not one being set) keeps the generic code.
  if (ruleCode && documents(ruleCode)) return { code: ruleCode, details: { field } }
  return { code: 'VALIDATION_FAILED', message: `Invalid ${error.validationContext ?? 'request'}: ${error.message}`, details: field ? { field } : {} }
}

/**
 * A 401 names the scheme that would succeed (RFC 9110 §11.6.1). For access tokens that is RFC
 * 6750's Bearer challenge: without an error when no token came, `invalid_token` when one did.
 */
function bearerChallenge (code: ErrorCode): Record<string, string> {
  if (code === 'TOKEN_MISSING') return { 'www-authenticate': `Bearer realm="${REALM}"` }
  return { 'www-authenticate': `Bearer realm="${REALM}", error="invalid_token", error_description="${errorCatalog[code].message}"` }
}

function withChallenge (answer: ErrorAnswer): ErrorAnswer {
  return bearerFailures.includes(answer.code) ? { ...answer, headers: { ...answer.headers, ...bearerChallenge(answer.code) } } : answer
}

/** Every error, whoever raised it, as the API's JSON error with a stable code. */
export function answerFor (error: FastifyError, documents: Documents = () => true): ErrorAnswer {
  if (error instanceof Refusal) return withChallenge({ code: error.code, message: error.message, details: error.details })
  if (error.validation) return validationAnswer(error, documents)
  const known = error.code ? frameworkCodes[error.code] : undefined
  if (known) return withChallenge({ code: known })
  if (databaseUnreachable.has(error.name)) return { code: 'DATABASE_UNAVAILABLE', details: { retry_after_seconds: 5 } }
  if ((error.statusCode ?? 500) >= 500) return { code: 'INTERNAL_ERROR' }
  return { code: 'BAD_REQUEST', message: error.message }
}

/** The codes a route's response schema lists for a status (see schemas.ts, errorResponses). */
function documentedCodes (request: FastifyRequest, status: number): string[] | undefined {
  const response = request.routeOptions.schema?.response as Record<string, { properties?: { code?: { enum?: string[] } } }> | undefined
  return response?.[status]?.properties?.code?.enum
}

export interface UndocumentedError {
  method: string
  route: string
  status: number
  code: string
}

export interface ErrorHandlingOptions {
  /** Told about an error code a route answered with but does not document; logged by default. */
  onUndocumented?: (error: UndocumentedError) => void
}

async function errorHandling (fastify: FastifyInstance, { onUndocumented }: ErrorHandlingOptions): Promise<void> {
  fastify.setErrorHandler(async (error: FastifyError, request, reply) => {
    const answer = answerFor(error, (code) => documentedCodes(request, statusOf(code))?.includes(code) ?? true)
    const status = statusOf(answer.code)
    if (status >= 500 && answer.code !== 'DATABASE_UNAVAILABLE') request.log.error({ err: error }, 'request failed')
    else request.log.info({ code: answer.code, statusCode: status }, 'request refused')
    const documented = documentedCodes(request, status)
    if (request.routeOptions.url && !documented?.includes(answer.code)) {
      const undocumented = { method: request.method, route: request.routeOptions.url, status, code: answer.code }
      if (onUndocumented) onUndocumented(undocumented)
      else request.log.error(undocumented, 'error code not documented for this route')
    }
    return await sendError(reply, answer)
  })

  // A second router that knows every route only to tell which methods a path takes (405 + Allow).
  const routes = FindMyWay()
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat() as HTTPMethod[]) {
      if (!routes.hasRoute(method, route.url)) routes.on(method, route.url, () => {})
    }
  })
  async function answerUnrouted (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const path = request.url.split('?')[0] ?? '/'
    const allowed = (['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const).filter((method) => routes.find(method, path) !== null)
    if (allowed.length > 0) {
      return await sendError(reply, { code: 'METHOD_NOT_ALLOWED', message: `${request.method} is not allowed here; use ${allowed.join(', ')}.`, headers: { allow: allowed.join(', ') } })
    }
    return await sendError(reply, { code: 'NOT_FOUND', message: 'There is nothing at this address.' })
  }
  // Answered before the body is read: a method with a body (QUERY, PUT...) on a path that does not
  // take it is a 405, whatever its Content-Type.
  fastify.addHook('onRequest', async (request, reply) => {
    if (request.is404) return await answerUnrouted(request, reply)
  })
  fastify.setNotFoundHandler(answerUnrouted)
}

export default fp(errorHandling, { name: 'error-handling' })
