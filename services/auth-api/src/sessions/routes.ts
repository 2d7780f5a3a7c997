import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { normalizeEmail } from '@latchkey/shared'
import { invalidCredentials } from '../credentials/basic-auth.js'
import type { UserDocument } from '../accounts/users.js'
import { ApiError } from '../http/errors.js'
import { absentBodyAsEmpty } from '../http/optional-body.js'
import { Credentials, errorResponses, lockedOut } from '../http/schemas.js'
import { currentSession, type IssuedTokens } from './sessions.js'

/** Browsers ask for the refresh token as an HttpOnly cookie by sending this header; a cross-site form cannot set it. */
const TRANSPORT_HEADER = 'x-token-transport'
export const REFRESH_COOKIE = 'latchkey_refresh'

const Tokens = Type.Object({
  status: Type.Literal('success'),
  message: Type.String(),
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'Seconds until the access token expires.' }),
  refresh_token: Type.Optional(Type.String({ description: 'Single use. Absent when it was set as a cookie (X-Token-Transport: cookie).' }))
})

const RefreshBody = Type.Object({
  refresh_token: Type.Optional(Type.String({ maxLength: 256 }))
}, { additionalProperties: false })

const TransportHeaders = Type.Object({
  'x-token-transport': Type.Optional(Type.Literal('cookie', { description: 'Browsers: keep the refresh token in an HttpOnly, Secure, SameSite=Strict cookie.' }))
})

function wantsCookie (request: FastifyRequest): boolean {
  return request.headers[TRANSPORT_HEADER] === 'cookie'
}

function presentedRefreshToken (request: FastifyRequest & { body: { refresh_token?: string } }): string | undefined {
  return request.body.refresh_token ?? (wantsCookie(request) ? request.cookies[REFRESH_COOKIE] : undefined)
}

const sessionRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const cookieOptions = { httpOnly: true, secure: true, sameSite: 'strict' as const, path: '/' }

  function deliver (request: FastifyRequest, reply: FastifyReply, tokens: IssuedTokens, message: string) {
    const { refresh_token: refreshToken, ...access } = tokens
    if (wantsCookie(request)) {
      reply.setCookie(REFRESH_COOKIE, refreshToken, { ...cookieOptions, maxAge: fastify.refreshTokens.ttl })
      return { status: 'success' as const, message, ...access }
    }
    return { status: 'success' as const, message, ...access, refresh_token: refreshToken }
  }

  fastify.post('/login', {
    schema: {
      tags: ['Sessions'],
      summary: 'Sign in: an access token (JWT) and a refresh token',
      description: 'JSON or form. 401 for a wrong email or password (an unknown email costs the same time), 403 ACCOUNT_NOT_ACTIVATED (only after a correct password), 403 ACCOUNT_DISABLED, 429 ACCOUNT_LOCKED after LOCKOUT_THRESHOLD (default 10) consecutive failures for the address.',
      headers: TransportHeaders,
      body: Credentials,
      response: { 200: Tokens, ...errorResponses({ 401: ['INVALID_CREDENTIALS'], 403: ['ACCOUNT_NOT_ACTIVATED', 'ACCOUNT_DISABLED'], 429: lockedOut }) }
    }
  }, async (request, reply) => {
    const email = normalizeEmail(request.body.email)
    const user = await fastify.users.findByEmail(email)
    const hadFailures = await fastify.signInFailures.assertNotLocked(email, fastify.clock())
    const valid = await fastify.passwords.verify(user?.passwordHash, request.body.password)
    if (!user || !valid) {
      await fastify.signInFailures.recordFailure(email, fastify.clock())
      request.log.info({ event: 'auth.login.failed' }, 'sign-in failed')
      throw invalidCredentials()
    }
    if (hadFailures) await fastify.signInFailures.clear(email)
    if (user.status === 'pending') throw new ApiError(403, 'ACCOUNT_NOT_ACTIVATED', 'Activate your account with the emailed code first.')
    if (user.status !== 'active') throw new ApiError(403, 'ACCOUNT_DISABLED', 'This account is disabled.')
    request.log.info({ event: 'auth.login.succeeded', userId: user.id }, 'signed in')
    return deliver(request, reply, await fastify.issueTokens(user), 'Signed in.')
  })

  fastify.post('/token/refresh', {
    preValidation: absentBodyAsEmpty,
    schema: {
      tags: ['Sessions'],
      summary: 'Trade a refresh token for new tokens (rotation)',
      description: 'The refresh token works once. Presenting a used one revokes every token of that sign-in (theft detection): 401 REFRESH_REUSED.',
      headers: TransportHeaders,
      body: RefreshBody,
      response: { 200: Tokens, ...errorResponses({ 400: ['REFRESH_TOKEN_MISSING'], 401: ['REFRESH_INVALID', 'REFRESH_REUSED'] }) }
    }
  }, async (request, reply) => {
    const presented = presentedRefreshToken(request)
    if (!presented) throw new ApiError(400, 'REFRESH_TOKEN_MISSING', 'Send refresh_token (or the cookie, with X-Token-Transport: cookie).', { field: 'refresh_token' })
    let user: UserDocument | null = null
    const outcome = await fastify.refreshTokens.rotate(presented, async ({ userId, email, sessionVersion }) => {
      user = await fastify.users.findByEmail(email)
      return user?.id === userId && user.status === 'active' && sessionVersion === currentSession(user)
    })
    if (outcome.kind === 'reused') {
      request.log.warn({ event: 'auth.refresh.reused' }, 'a used refresh token came back: its family is revoked')
      throw new ApiError(401, 'REFRESH_REUSED', 'This refresh token was already used; every session it belonged to is now signed out.')
    }
    if (outcome.kind === 'invalid') throw new ApiError(401, 'REFRESH_INVALID', 'This refresh token is not valid. Sign in again.')
    return deliver(request, reply, await fastify.issueTokens(user!, outcome.token), 'Tokens refreshed.')
  })

  fastify.post('/logout', {
    preValidation: absentBodyAsEmpty,
    schema: {
      tags: ['Sessions'],
      summary: 'Sign out: revoke the refresh token and its sign-in',
      description: 'Idempotent. Access tokens already issued stay valid until they expire (15 min by default).',
      headers: TransportHeaders,
      body: RefreshBody,
      response: { 200: Type.Object({ status: Type.Literal('success'), message: Type.String() }), ...errorResponses({ 400: ['REFRESH_TOKEN_MISSING'] }) }
    }
  }, async (request, reply) => {
    const presented = presentedRefreshToken(request)
    if (!presented) throw new ApiError(400, 'REFRESH_TOKEN_MISSING', 'Send refresh_token (or the cookie, with X-Token-Transport: cookie).', { field: 'refresh_token' })
    await fastify.refreshTokens.revokeByToken(presented)
    if (wantsCookie(request)) reply.clearCookie(REFRESH_COOKIE, cookieOptions)
    return { status: 'success' as const, message: 'Signed out.' }
  })

  fastify.get('/.well-known/jwks.json', {
    schema: {
      tags: ['Sessions'],
      summary: 'Public keys that verify our access tokens (JWKS)',
      response: { 200: Type.Object({ keys: Type.Array(Type.Object({ kty: Type.String(), crv: Type.String(), x: Type.String(), kid: Type.String(), alg: Type.String(), use: Type.String() })) }) }
    }
  }, async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300')
    return { keys: fastify.signingKeys.published(new Date()).map((key) => key.publicJwk as { kty: string, crv: string, x: string, kid: string, alg: string, use: string }) }
  })
}

export default sessionRoutes
