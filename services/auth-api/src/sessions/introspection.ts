import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { errorResponses, rateLimited } from '../http/schemas.js'
import { Refusal } from '../refusal.js'
import { digest } from './refresh-tokens.js'
import { isLiveSession } from './access-tokens.js'

export interface IntrospectionOptions {
  /** `id:secret` pairs of the services allowed to ask. */
  clients: Array<{ id: string, secret: string }>
}

const IntrospectionRequest = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 4096 }),
  token_type_hint: Type.Optional(Type.Union([Type.Literal('access_token'), Type.Literal('refresh_token')]))
})

const Introspection = Type.Object({
  active: Type.Boolean(),
  token_type: Type.Optional(Type.Union([Type.Literal('Bearer'), Type.Literal('refresh_token')])),
  sub: Type.Optional(Type.String()),
  sid: Type.Optional(Type.String({ description: 'The session the token belongs to.' })),
  username: Type.Optional(Type.String()),
  roles: Type.Optional(Type.Array(Type.String())),
  iss: Type.Optional(Type.String()),
  aud: Type.Optional(Type.String()),
  jti: Type.Optional(Type.String()),
  iat: Type.Optional(Type.Integer()),
  exp: Type.Optional(Type.Integer()),
  client_id: Type.Optional(Type.String())
})

const REALM = 'Basic realm="latchkey-introspection", charset="UTF-8"'

/** Secrets are compared as SHA-256 digests: always 32 bytes, so the comparison takes the same time whatever the lengths. */
function digestOf (secret: string): Buffer {
  return createHash('sha256').update(secret).digest()
}

/** RFC 6749 §2.3.1: the id and secret are form-urlencoded inside Basic; what does not decode is malformed, not an error of ours. */
function decodedPart (part: string): string | undefined {
  try {
    return decodeURIComponent(part)
  } catch {
    return undefined
  }
}

/**
 * RFC 7662 token introspection, for services that must know at once whether a token still works
 * (the JWKS lets them verify signatures, not whether a session was signed out). Only registered
 * clients may ask; an unknown, expired or ended token is simply `{"active": false}`.
 */
declare module 'fastify' {
  interface FastifyRequest {
    /** The registered service asking, once its credentials were checked. */
    introspectionClient: string | null
  }
}

const introspection: FastifyPluginAsyncTypebox<IntrospectionOptions> = async (fastify, { clients }) => {
  fastify.decorateRequest('introspectionClient', null)

  const registered = clients.map((client) => ({ id: client.id, secretDigest: digestOf(client.secret) }))
  // An unknown id is compared against this, so it costs the same as a wrong secret.
  const noClient = { id: '', secretDigest: digestOf(randomBytes(32).toString('hex')) }

  function authenticatedClient (request: FastifyRequest): string {
    const [scheme, encoded] = (request.headers.authorization ?? '').split(' ')
    const decoded = scheme?.toLowerCase() === 'basic' && encoded ? Buffer.from(encoded, 'base64').toString('utf8') : ''
    const separator = decoded.indexOf(':')
    const id = separator > 0 ? decodedPart(decoded.slice(0, separator)) : undefined
    const secret = separator > 0 ? decodedPart(decoded.slice(separator + 1)) : undefined
    const client = registered.find((candidate) => candidate.id === id)
    const matches = timingSafeEqual((client ?? noClient).secretDigest, digestOf(secret ?? ''))
    if (!client || secret === undefined || !matches) throw new Refusal('INVALID_CLIENT')
    return client.id
  }

  fastify.post('/oauth/introspect', {
    onRequest: async (request, reply) => {
      try {
        request.introspectionClient = authenticatedClient(request)
      } catch (err) {
        reply.header('www-authenticate', REALM)
        throw err
      }
    },
    schema: {
      tags: ['Sessions'],
      summary: 'Token introspection (RFC 7662), for registered services',
      description: 'application/x-www-form-urlencoded `token` (an access or a refresh token) with the client\'s id and secret in HTTP Basic. Configure clients with INTROSPECTION_CLIENTS.',
      security: [{ basicAuth: [] }],
      body: IntrospectionRequest,
      response: { 200: Introspection, ...errorResponses(['INVALID_CLIENT', ...rateLimited]) }
    }
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store')
    const clientId = request.introspectionClient!
    const { token } = request.body
    const refresh = fastify.refreshTokens.parse(token)
    if (refresh) {
      const account = await fastify.accounts.byId(refresh.accountId)
      const session = account?.sessions[refresh.sessionId]
      if (!account || !session || session.refreshHash !== digest(token) || !isLiveSession(account, refresh.sessionId, fastify.clock())) return { active: false }
      return {
        active: true,
        token_type: 'refresh_token' as const,
        sub: account._id,
        sid: refresh.sessionId,
        username: account.email,
        exp: Math.floor(session.expiresAt.getTime() / 1000),
        client_id: clientId
      }
    }
    const live = await fastify.liveAccessToken(token)
    if (!live) return { active: false }
    const { claims, account } = live
    return {
      active: true,
      token_type: 'Bearer' as const,
      sub: claims.sub,
      sid: claims.sid,
      username: account.email,
      roles: account.roles,
      iss: claims.iss,
      aud: claims.aud,
      jti: claims.jti,
      iat: claims.iat,
      exp: claims.exp,
      client_id: clientId
    }
  })
}

export default introspection
