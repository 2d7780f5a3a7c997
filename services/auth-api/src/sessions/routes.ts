import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { proveCredentials } from '../credentials/credential-proof.js'
import { presentedDeviceToken, rememberDevice } from '../credentials/device-tokens.js'
import { requestContext } from '../events/outbox.js'
import { absentBodyAsEmpty } from '../http/optional-body.js'
import { bearerAuthSecurity, bearerFailures, Credentials, errorResponses, lockedOut, rateLimited } from '../http/schemas.js'
import { Refusal } from '../refusal.js'
import { forgetSessionCookies, refreshTokenCookie, setSessionCookies, TransportHeaders, wantsCookie } from './session-cookies.js'
import { endAllSessions, endSessionOf, refreshSession, startSession, type IssuedTokens } from './session-lifecycle.js'
import { Done, Tokens } from '@latchkey/shared'

const RefreshBody = Type.Object({
  refresh_token: Type.Optional(Type.String({ minLength: 1, maxLength: 256 }))
})

const LogoutQuery = Type.Object({
  scope: Type.Optional(Type.Union([Type.Literal('local'), Type.Literal('global')], {
    description: '`local` (default): the session of the refresh token. `global`: every session of the account; needs the access token (Authorization: Bearer).'
  }))
})

function presentedRefreshToken (request: FastifyRequest & { body: { refresh_token?: string } }): string {
  const presented = request.body.refresh_token ?? (wantsCookie(request) ? refreshTokenCookie(request) : undefined)
  if (!presented) throw new Refusal('REFRESH_TOKEN_MISSING', { field: 'refresh_token' })
  return presented
}

const sessionRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  function deliver (request: FastifyRequest, reply: FastifyReply, tokens: IssuedTokens, message: string) {
    const { refresh_token: refreshToken, ...access } = tokens
    if (wantsCookie(request)) {
      setSessionCookies(request, reply, refreshToken, fastify.refreshTokens.ttlSeconds)
      return { status: 'success' as const, message, ...access }
    }
    return { status: 'success' as const, message, ...access, refresh_token: refreshToken }
  }

  fastify.post('/login', {
    schema: {
      tags: ['Sessions'],
      summary: 'Sign in: an access token (JWT) and a refresh token',
      description: 'JSON or form. 401 for a wrong email or password (an unknown email costs the same time), 403 ACCOUNT_NOT_ACTIVATED (only after a correct password), 403 ACCOUNT_DISABLED, 429 ACCOUNT_LOCKED after LOCKOUT_THRESHOLD (default 10) failed attempts for the address.',
      headers: TransportHeaders,
      body: Credentials,
      response: { 200: Tokens, ...errorResponses(['INVALID_CREDENTIALS', 'ACCOUNT_NOT_ACTIVATED', 'ACCOUNT_DISABLED', ...lockedOut, ...rateLimited]) }
    }
  }, async (request, reply) => {
    const account = await proveCredentials(fastify, request.body.email, request.body.password, presentedDeviceToken(request)).catch((err: unknown) => {
      if (err instanceof Refusal && err.code === 'INVALID_CREDENTIALS') request.log.info({ event: 'auth.login.failed' }, 'sign-in failed')
      throw err
    })
    if (account.status === 'pending') throw new Refusal('ACCOUNT_NOT_ACTIVATED')
    if (account.status !== 'active') throw new Refusal('ACCOUNT_DISABLED')
    const tokens = await startSession(fastify, account, requestContext(request))
    rememberDevice(reply, fastify.deviceTokens, account.email, fastify.clock())
    request.log.info({ event: 'auth.login.succeeded', userId: account._id }, 'signed in')
    return deliver(request, reply, tokens, 'Signed in.')
  })

  fastify.post('/token/refresh', {
    preValidation: absentBodyAsEmpty,
    schema: {
      tags: ['Sessions'],
      summary: 'Trade a refresh token for new tokens (rotation)',
      description: 'The refresh token works once; the same token sent again within REFRESH_REUSE_INTERVAL_SECONDS (default 10 s, two tabs refreshing at once) gets the same new one. Sent again later, it revokes its session (theft detection): 401 REFRESH_REUSED.',
      headers: TransportHeaders,
      body: RefreshBody,
      response: { 200: Tokens, ...errorResponses(['REFRESH_TOKEN_MISSING', 'REFRESH_INVALID', 'REFRESH_REUSED', ...rateLimited]) }
    }
  }, async (request, reply) => {
    try {
      const presented = fastify.refreshTokens.parse(presentedRefreshToken(request))
      if (!presented) throw new Refusal('REFRESH_INVALID')
      return deliver(request, reply, await refreshSession(fastify, presented, requestContext(request)), 'Tokens refreshed.')
    } catch (err) {
      if (err instanceof Refusal) forgetSessionCookies(request, reply)
      if (err instanceof Refusal && err.code === 'REFRESH_REUSED') request.log.warn({ event: 'auth.refresh.reused' }, 'a used refresh token came back: its session is revoked')
      throw err
    }
  })

  fastify.post('/logout', {
    onRequest: async (request) => {
      if ((request.query as { scope?: string }).scope === 'global') await fastify.authenticate(request)
    },
    preValidation: absentBodyAsEmpty,
    schema: {
      tags: ['Sessions'],
      summary: 'Sign out: this session, or every session of the account',
      description: 'Idempotent. The access tokens of the ended sessions stop working at once on this API; other services learn it from the user.session_revoked event or from token introspection.',
      security: [{}, ...bearerAuthSecurity],
      headers: TransportHeaders,
      querystring: LogoutQuery,
      body: RefreshBody,
      response: { 200: Done, ...errorResponses(['REFRESH_TOKEN_MISSING', ...bearerFailures, ...rateLimited]) }
    }
  }, async (request, reply) => {
    if (request.query.scope === 'global') {
      await endAllSessions(fastify, request.currentUser!, requestContext(request))
      request.log.info({ event: 'auth.logout.everywhere', userId: request.currentUser!._id }, 'signed out everywhere')
      forgetSessionCookies(request, reply)
      return { status: 'success' as const, message: 'Signed out of every session.' }
    }
    const presented = fastify.refreshTokens.parse(presentedRefreshToken(request))
    if (presented) await endSessionOf(fastify, presented, requestContext(request))
    forgetSessionCookies(request, reply)
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
