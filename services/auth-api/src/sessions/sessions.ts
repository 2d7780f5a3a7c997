import { randomUUID } from 'node:crypto'
import fastifyCookie from '@fastify/cookie'
import fastifyJwt from '@fastify/jwt'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { UserDocument } from '../accounts/users.js'
import { ApiError } from '../http/errors.js'
import { RefreshTokens } from './refresh-tokens.js'
import { SIGNING_ALGORITHM, SigningKeys } from './signing-keys.js'

export interface AccessClaims {
  sub: string
  /** The account's session version when the token was issued (see UserDocument.sessionVersion). */
  sv: number
  email: string
  roles: string[]
  jti: string
  iat: number
  exp: number
  iss: string
  aud: string
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: Pick<AccessClaims, 'sub' | 'sv' | 'email' | 'roles' | 'jti'>
    user: AccessClaims
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    signingKeys: SigningKeys
    refreshTokens: RefreshTokens
    /** Signs an access token; with no refresh token given, starts a new sign-in family. */
    issueTokens (user: UserDocument, rotatedRefreshToken?: string): Promise<IssuedTokens>
    /** preHandler: a valid access token of an active account; sets request.currentUser. */
    authenticate (request: FastifyRequest, reply: FastifyReply): Promise<void>
    /** preHandler: as authenticate, and the account has the admin role. */
    requireAdmin (request: FastifyRequest, reply: FastifyReply): Promise<void>
  }
  interface FastifyRequest {
    currentUser: UserDocument | null
  }
}

export interface IssuedTokens {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  refresh_token: string
}

export interface SessionsOptions {
  issuer: string
  audience: string
  accessTokenTtlSeconds: number
  refreshTokenTtlSeconds: number
  keysDir: string
  /** A PEM private key from configuration takes the place of the keys directory. */
  privateKeyPem: string
}

const KEY_RELOAD_MS = 60_000

export function currentSession (user: Pick<UserDocument, 'sessionVersion'>): number {
  return user.sessionVersion ?? 0
}

/**
 * The `$set` that ends every session of the account, to apply while holding it: tokens issued
 * under the old version, even by a sign-in that was still in flight, stop working.
 */
export function nextSession (user: Pick<UserDocument, 'sessionVersion'>): Pick<UserDocument, 'sessionVersion'> {
  return { sessionVersion: currentSession(user) + 1 }
}

/**
 * Access tokens are EdDSA (Ed25519) JWTs with a `kid`, verified with the algorithm pinned,
 * `iss`/`aud`/`exp` required, and the account re-checked on every use: tokens of a disabled
 * account, or issued before a password change, are refused. Other services verify them with
 * the public keys at /.well-known/jwks.json.
 */
async function sessions (fastify: FastifyInstance, options: SessionsOptions): Promise<void> {
  const keys = options.privateKeyPem
    ? SigningKeys.fromPem(options.privateKeyPem, options.accessTokenTtlSeconds)
    : await SigningKeys.fromDirectory(options.keysDir, options.accessTokenTtlSeconds, new Date(), KEY_RELOAD_MS)
  const reloadTimer = setInterval(() => { void keys.reload().catch((err: unknown) => fastify.log.warn({ err }, 'reloading signing keys failed')) }, KEY_RELOAD_MS)
  reloadTimer.unref()
  fastify.addHook('onClose', async () => { clearInterval(reloadTimer) })

  const refreshTokens = new RefreshTokens(fastify.db, fastify.users.locks, options.refreshTokenTtlSeconds)
  await refreshTokens.ensureIndexes()

  await fastify.register(fastifyCookie)
  // @fastify/jwt calls a function secret as (request, decodedToken); its typings omit the request.
  const publicKeyForToken = async (_request: FastifyRequest, token: { header: { kid?: string } }): Promise<string> => {
    const kid = token.header.kid
    // A replica that rotated signs with a key this one may not have loaded yet.
    const publicKey = kid && (keys.publicKeyFor(kid, new Date()) ?? (await keys.reloadIfChanged(), keys.publicKeyFor(kid, new Date())))
    if (!publicKey) throw new ApiError(401, 'TOKEN_INVALID', 'The access token is not valid.')
    return publicKey
  }
  await fastify.register(fastifyJwt, {
    secret: { private: keys.current().privateKeyPem, public: publicKeyForToken as unknown as string },
    // The key lookup needs the header (kid), so decoding hands over the complete token.
    decode: { complete: true },
    sign: { algorithm: SIGNING_ALGORITHM, iss: options.issuer, aud: options.audience, expiresIn: options.accessTokenTtlSeconds },
    verify: {
      algorithms: [SIGNING_ALGORITHM],
      allowedIss: options.issuer,
      allowedAud: options.audience,
      requiredClaims: ['sub', 'sv', 'iss', 'aud', 'iat', 'exp'],
      clockTolerance: 5_000
    },
    trusted: async (request: FastifyRequest, claims: { sub?: string, sv?: number, email?: string }) => {
      // Looked up by address (the fast key), then matched on the id the token was issued to.
      const user = claims.email ? await fastify.users.findByEmail(claims.email) : null
      if (!user || user.id !== claims.sub || user.status !== 'active') return false
      if (claims.sv !== currentSession(user)) return false
      request.currentUser = user
      return true
    }
  })

  fastify.decorate('signingKeys', keys)
  fastify.decorate('refreshTokens', refreshTokens)
  fastify.decorateRequest('currentUser', null)

  fastify.decorate('issueTokens', async (user: UserDocument, rotatedRefreshToken?: string): Promise<IssuedTokens> => {
    const signingKey = keys.current()
    const access = fastify.jwt.sign(
      { sub: user.id, sv: currentSession(user), email: user.email, roles: user.roles, jti: randomUUID() },
      { key: signingKey.privateKeyPem, kid: signingKey.kid }
    )
    return {
      access_token: access,
      token_type: 'Bearer',
      expires_in: options.accessTokenTtlSeconds,
      refresh_token: rotatedRefreshToken ?? await refreshTokens.issue(user.id, user.email, currentSession(user))
    }
  })

  fastify.decorate('authenticate', async (request: FastifyRequest) => {
    await request.jwtVerify()
  })

  fastify.decorate('requireAdmin', async (request: FastifyRequest) => {
    await request.jwtVerify()
    if (!request.currentUser?.roles.includes('admin')) {
      throw new ApiError(403, 'FORBIDDEN', 'This needs an administrator account.')
    }
  })
}

export default fp(sessions, { name: 'sessions', dependencies: ['accounts'] })
