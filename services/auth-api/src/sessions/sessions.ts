import { hkdfSync, randomUUID } from 'node:crypto'
import fastifyCookie from '@fastify/cookie'
import fastifyJwt from '@fastify/jwt'
import { createSigner } from 'fast-jwt'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { isAdmin, type AccountDocument, type SignedInAccount } from '../accounts/account.js'
import { Refusal } from '../refusal.js'
import { RefreshTokens } from './refresh-tokens.js'
import { SIGNING_ALGORITHM, SigningKeys, type SigningKey } from './signing-keys.js'

export interface AccessClaims {
  sub: string
  /** The session (sign-in) the token belongs to; it stops working when that session ends. */
  sid: string
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
    payload: Pick<AccessClaims, 'sub' | 'sid' | 'email' | 'roles' | 'jti'>
    user: AccessClaims
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    signingKeys: SigningKeys
    refreshTokens: RefreshTokens
    accessTokenTtlSeconds: number
    /** Sign-ins kept per account; the oldest ends when one more starts. */
    maxSessionsPerAccount: number
    issueAccessToken (account: AccountDocument, sessionId: string): string
    /** Whether an access token's account and session are still live; the claims when they are. */
    liveAccessToken (token: string): Promise<{ claims: AccessClaims, account: SignedInAccount } | null>
    /** onRequest: a valid access token of a live session of an active account; sets currentUser and sessionId. */
    authenticate (request: FastifyRequest, reply: FastifyReply): Promise<void>
    /** onRequest: as authenticate, and the account has the admin role. */
    requireAdmin (request: FastifyRequest, reply: FastifyReply): Promise<void>
  }
  interface FastifyRequest {
    currentUser: SignedInAccount | null
    sessionId: string | null
  }
}

export interface SessionsOptions {
  issuer: string
  audience: string
  accessTokenTtlSeconds: number
  refreshTokenTtlSeconds: number
  refreshReuseIntervalSeconds: number
  maxSessionsPerAccount: number
  /** Keys the derivation of refresh-token successors (HKDF, so it never doubles as the code key). */
  secret: string
  keysDir: string
  /** A PEM private key from configuration takes the place of the keys directory. */
  privateKeyPem: string
}

const KEY_RELOAD_MS = 60_000
/** An `iat` further ahead than this was not issued by a replica with a sane clock. */
const ISSUED_AT_LEEWAY_SECONDS = 30

/** A session is live while it exists on its account and has not expired. */
export function isLiveSession (account: Pick<AccountDocument, 'status' | 'sessions'>, sessionId: string, now: Date): boolean {
  const session = account.sessions[sessionId]
  return account.status === 'active' && session !== undefined && session.expiresAt > now
}

/**
 * Access tokens are EdDSA (Ed25519) JWTs with a `kid`, verified with the algorithm pinned,
 * `iss`/`aud`/`exp`/`iat` required, no `iat` from the future, and the account and session
 * looked up on every use: the token of a session that was signed out, revoked or replaced by a
 * password change is refused at once. Other services verify them with the public keys at
 * /.well-known/jwks.json, and learn of ended sessions by event or by introspection.
 */
async function sessions (fastify: FastifyInstance, options: SessionsOptions): Promise<void> {
  const keys = options.privateKeyPem
    ? SigningKeys.fromPem(options.privateKeyPem, options.accessTokenTtlSeconds)
    : await SigningKeys.fromDirectory(options.keysDir, options.accessTokenTtlSeconds, new Date(), KEY_RELOAD_MS)
  const reloadTimer = setInterval(() => { void keys.reload().catch((err: unknown) => fastify.log.warn({ err }, 'reloading signing keys failed')) }, KEY_RELOAD_MS)
  reloadTimer.unref()
  fastify.addHook('onClose', async () => { clearInterval(reloadTimer) })

  const successorKey = Buffer.from(hkdfSync('sha256', options.secret, 'latchkey', 'refresh-token successor', 32))
  fastify.decorate('refreshTokens', new RefreshTokens(successorKey, options.refreshTokenTtlSeconds, options.refreshReuseIntervalSeconds))
  fastify.decorate('signingKeys', keys)
  fastify.decorate('accessTokenTtlSeconds', options.accessTokenTtlSeconds)
  fastify.decorate('maxSessionsPerAccount', options.maxSessionsPerAccount)
  fastify.decorateRequest('currentUser', null)
  fastify.decorateRequest('sessionId', null)

  await fastify.register(fastifyCookie)
  // @fastify/jwt calls a function secret as (request, decodedToken); its typings omit the request.
  const publicKeyForToken = async (_request: FastifyRequest, token: { header: { kid?: string } }): Promise<string> => {
    const kid = token.header.kid
    // A replica that rotated signs with a key this one may not have loaded yet.
    const publicKey = kid && (keys.publicKeyFor(kid, new Date()) ?? (await keys.reloadIfChanged(), keys.publicKeyFor(kid, new Date())))
    if (!publicKey) throw new Refusal('TOKEN_INVALID')
    return publicKey
  }

  /** The account behind verified claims, when the token was issued in the past and its session still lives. */
  async function liveAccount (claims: Partial<AccessClaims>): Promise<SignedInAccount | null> {
    const now = fastify.clock()
    if ((claims.iat ?? Infinity) > now.getTime() / 1000 + ISSUED_AT_LEEWAY_SECONDS) throw new Refusal('TOKEN_INVALID')
    const account = claims.sub ? await fastify.accounts.signedIn(claims.sub) : null
    return account && claims.sid && isLiveSession(account, claims.sid, now) ? account : null
  }

  // Verification only: tokens are signed below, with one signer per key.
  await fastify.register(fastifyJwt, {
    secret: { public: publicKeyForToken as unknown as string },
    // The key lookup needs the header (kid), so decoding hands over the complete token.
    decode: { complete: true },
    verify: {
      algorithms: [SIGNING_ALGORITHM],
      allowedIss: options.issuer,
      allowedAud: options.audience,
      requiredClaims: ['sub', 'sid', 'iss', 'aud', 'iat', 'exp'],
      maxAge: options.accessTokenTtlSeconds * 1000,
      clockTolerance: 5_000,
      // A token already verified is not verified again (fast-jwt keeps the result until the
      // token expires); whether its session still lives is looked up on every request anyway.
      cache: 1_000
    },
    trusted: async (request: FastifyRequest, claims: Partial<AccessClaims>) => {
      const account = await liveAccount(claims)
      request.currentUser = account
      request.sessionId = account ? claims.sid! : null
      return account !== null
    }
  })

  // A signer parses its key once; built per call, it would parse the PEM for every token.
  const signers = new Map<string, (payload: Record<string, unknown>) => string>()
  const signerFor = (key: SigningKey): (payload: Record<string, unknown>) => string => {
    let signer = signers.get(key.kid)
    if (!signer) {
      signer = createSigner({ key: key.privateKeyPem, algorithm: SIGNING_ALGORITHM, kid: key.kid, iss: options.issuer, aud: options.audience, expiresIn: options.accessTokenTtlSeconds * 1000 })
      signers.set(key.kid, signer)
    }
    return signer
  }
  fastify.decorate('issueAccessToken', (account: AccountDocument, sessionId: string): string =>
    signerFor(keys.current())({ sub: account._id, sid: sessionId, email: account.email, roles: account.roles, jti: randomUUID() }))

  fastify.decorate('liveAccessToken', async (token: string) => {
    try {
      const decoded = fastify.jwt.decode<{ header: { kid?: string } }>(token, { complete: true })
      if (!decoded) return null
      const publicKey = await publicKeyForToken({} as FastifyRequest, decoded)
      const claims = fastify.jwt.verify<AccessClaims>(token, { key: publicKey })
      const account = await liveAccount(claims)
      return account ? { claims, account } : null
    } catch (err) {
      // Whatever makes the token unusable (malformed, bad signature, expired) makes it inactive.
      if (err instanceof Refusal || /^(FAST|FST)_JWT_/.test((err as { code?: string }).code ?? '')) return null
      throw err
    }
  })

  fastify.decorate('authenticate', async (request: FastifyRequest) => {
    await request.jwtVerify()
  })

  fastify.decorate('requireAdmin', async (request: FastifyRequest) => {
    await request.jwtVerify()
    if (!request.currentUser || !isAdmin(request.currentUser)) throw new Refusal('FORBIDDEN')
  })
}

export default fp(sessions, { name: 'sessions', dependencies: ['accounts'] })
