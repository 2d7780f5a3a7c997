import { hkdfSync, randomUUID } from 'node:crypto'
import fastifyCookie from '@fastify/cookie'
import fastifyJwt, { type TokenOrHeader } from '@fastify/jwt'
import { createDecoder, createSigner, createVerifier, TokenError } from 'fast-jwt'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { isAdmin, type AccountDocument, type SignedInAccount } from '../accounts/account.js'
import type { AccountStore } from '../accounts/accounts-store.js'
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
    authenticate (request: FastifyRequest): Promise<void>
    /** onRequest: as authenticate, and the account has the admin role. */
    requireAdmin (request: FastifyRequest): Promise<void>
  }
  interface FastifyRequest {
    currentUser: SignedInAccount | null
    sessionId: string | null
  }
}

export interface AccessTokenOptions {
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

/** RFC 6750 §2.1: `Authorization: Bearer <token>`. No header is a missing token; any other shape an invalid one. */
export function bearerTokenOf (request: Pick<FastifyRequest, 'headers'>): string {
  const header = request.headers.authorization
  if (header === undefined || header === '') throw new Refusal('TOKEN_MISSING')
  const [scheme, token, extra] = header.split(' ')
  if (scheme?.toLowerCase() !== 'bearer' || !token || extra !== undefined) throw new Refusal('TOKEN_INVALID')
  return token
}

export interface AccessTokenDeps {
  keys: SigningKeys
  accounts: Pick<AccountStore, 'signedIn'>
  clock: () => Date
}

/** What every verification demands of a token, whichever path it takes. */
function verifierOptions ({ issuer, audience, accessTokenTtlSeconds }: Pick<AccessTokenOptions, 'issuer' | 'audience' | 'accessTokenTtlSeconds'>) {
  return {
    algorithms: [SIGNING_ALGORITHM],
    allowedIss: issuer,
    allowedAud: audience,
    requiredClaims: ['sub', 'sid', 'iss', 'aud', 'iat', 'exp'],
    maxAge: accessTokenTtlSeconds * 1000,
    clockTolerance: 5_000,
    // A token already verified is not verified again: the result is kept until the token expires.
    cache: 1_000
  }
}

/**
 * Access tokens in one place: EdDSA (Ed25519) JWTs with a `kid`, signed by the current key,
 * verified with the algorithm pinned, `iss`/`aud`/`exp`/`iat` required and no `iat` from the
 * future, and the account and session looked up on every use: the token of a session that was
 * signed out, revoked or replaced by a password change is refused at once. Every failure is one
 * of our refusals (TOKEN_MISSING, TOKEN_INVALID, TOKEN_EXPIRED, TOKEN_REVOKED), thrown here.
 */
export class AccessTokens {
  // A signer or verifier parses its key once; built per call, it would parse the PEM every time.
  readonly #signers = new Map<string, (payload: Record<string, unknown>) => string>()
  readonly #verifiers = new Map<string, (token: string) => AccessClaims>()
  readonly #decode = createDecoder({ complete: true })
  readonly verifierOptions: ReturnType<typeof verifierOptions>

  constructor (private readonly deps: AccessTokenDeps, private readonly options: Pick<AccessTokenOptions, 'issuer' | 'audience' | 'accessTokenTtlSeconds'>) {
    this.verifierOptions = verifierOptions(options)
  }

  sign (account: AccountDocument, sessionId: string): string {
    return this.#signerFor(this.deps.keys.current())({ sub: account._id, sid: sessionId, email: account.email, roles: account.roles, jti: randomUUID() })
  }

  /** The public key a token names; a replica that rotated signs with a key this one may not have loaded yet. */
  async keyFor (header: { kid?: string }): Promise<string> {
    const { kid } = header
    const now = this.deps.clock()
    const key = kid && (this.deps.keys.publicKeyFor(kid, now) ?? (await this.deps.keys.reloadIfChanged(), this.deps.keys.publicKeyFor(kid, now)))
    if (!key) throw new Refusal('TOKEN_INVALID')
    return key
  }

  /** The claims of a token we signed that has not expired (the request path verifies through @fastify/jwt, with the same options). */
  async verify (token: string): Promise<AccessClaims> {
    let claims: AccessClaims
    try {
      const { header } = this.#decode(token) as { header: { kid?: string } }
      const key = await this.keyFor(header)
      let verifier = this.#verifiers.get(key)
      if (!verifier) {
        verifier = createVerifier({ ...this.verifierOptions, key }) as (token: string) => AccessClaims
        this.#verifiers.set(key, verifier)
      }
      claims = verifier(token)
    } catch (err) {
      throw asRefusal(err)
    }
    this.assertIssuedInThePast(claims)
    return claims
  }

  assertIssuedInThePast (claims: Pick<AccessClaims, 'iat'>): void {
    if (claims.iat > this.deps.clock().getTime() / 1000 + ISSUED_AT_LEEWAY_SECONDS) throw new Refusal('TOKEN_INVALID')
  }

  /** A verified token's account, while its session lives; TOKEN_REVOKED once it ended. */
  async liveAccount (claims: Pick<AccessClaims, 'sub' | 'sid'>): Promise<SignedInAccount> {
    const account = await this.deps.accounts.signedIn(claims.sub)
    if (!account || !isLiveSession(account, claims.sid, this.deps.clock())) throw new Refusal('TOKEN_REVOKED')
    return account
  }

  #signerFor (key: SigningKey): (payload: Record<string, unknown>) => string {
    let signer = this.#signers.get(key.kid)
    if (!signer) {
      const { issuer: iss, audience: aud, accessTokenTtlSeconds } = this.options
      signer = createSigner({ key: key.privateKeyPem, algorithm: SIGNING_ALGORITHM, kid: key.kid, iss, aud, expiresIn: accessTokenTtlSeconds * 1000 })
      this.#signers.set(key.kid, signer)
    }
    return signer
  }
}

/** The claims a session lookup needs; the verifier already required them, this only proves their types. */
function hasSessionClaims (claims: Record<string, unknown>): claims is Record<string, unknown> & Pick<AccessClaims, 'sub' | 'sid' | 'iat'> {
  return typeof claims.sub === 'string' && typeof claims.sid === 'string' && typeof claims.iat === 'number'
}

/**
 * Every way a token can fail, as our refusal: ours pass through; fast-jwt's and @fastify/jwt's
 * (which wraps fast-jwt's) are an expiry or else an invalid token.
 */
function asRefusal (err: unknown): Refusal {
  if (err instanceof Refusal) return err
  const { code } = err as { code?: string }
  return new Refusal(code === TokenError.codes.expired || code === 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED' ? 'TOKEN_EXPIRED' : 'TOKEN_INVALID')
}

/**
 * The access-token plugin: signing keys, refresh tokens, and the `authenticate` and
 * `requireAdmin` hooks. Other services verify our tokens with the public keys at
 * /.well-known/jwks.json, and learn of ended sessions by event or by introspection.
 */
async function accessTokens (fastify: FastifyInstance, options: AccessTokenOptions): Promise<void> {
  const keys = options.privateKeyPem
    ? SigningKeys.fromPem(options.privateKeyPem, options.accessTokenTtlSeconds)
    : await SigningKeys.fromDirectory(options.keysDir, options.accessTokenTtlSeconds, new Date(), KEY_RELOAD_MS)
  const reloadTimer = setInterval(() => { void keys.reload().catch((err: unknown) => fastify.log.warn({ err }, 'reloading signing keys failed')) }, KEY_RELOAD_MS)
  reloadTimer.unref()
  fastify.addHook('onClose', async () => { clearInterval(reloadTimer) })

  const tokens = new AccessTokens({ keys, accounts: fastify.accounts, clock: fastify.clock }, options)
  await fastify.register(fastifyCookie)
  // Requests are verified by @fastify/jwt: it finds the key by `kid` through keyFor, keeps one
  // verifier per key, and asks `trusted` whether the session still lives; every step refuses
  // with our codes, and what it raises itself becomes ours in asRefusal.
  await fastify.register(fastifyJwt, {
    secret: { public: async (_request: FastifyRequest, token: TokenOrHeader) => await tokens.keyFor('header' in token ? token.header : token) },
    decode: { complete: true },
    verify: { ...tokens.verifierOptions, extractToken: bearerTokenOf },
    trusted: async (request: FastifyRequest, claims: Record<string, unknown>) => {
      if (!hasSessionClaims(claims)) throw new Refusal('TOKEN_INVALID')
      tokens.assertIssuedInThePast(claims)
      request.currentUser = await tokens.liveAccount(claims)
      request.sessionId = claims.sid
      return true
    }
  })

  const successorKey = Buffer.from(hkdfSync('sha256', options.secret, 'latchkey', 'refresh-token successor', 32))
  fastify.decorate('refreshTokens', new RefreshTokens(successorKey, options.refreshTokenTtlSeconds, options.refreshReuseIntervalSeconds))
  fastify.decorate('signingKeys', keys)
  fastify.decorate('accessTokenTtlSeconds', options.accessTokenTtlSeconds)
  fastify.decorate('maxSessionsPerAccount', options.maxSessionsPerAccount)
  fastify.decorateRequest('currentUser', null)
  fastify.decorateRequest('sessionId', null)
  fastify.decorate('issueAccessToken', (account: AccountDocument, sessionId: string): string => tokens.sign(account, sessionId))

  fastify.decorate('liveAccessToken', async (token: string) => {
    try {
      const claims = await tokens.verify(token)
      return { claims, account: await tokens.liveAccount(claims) }
    } catch (err) {
      // Whatever makes the token unusable (malformed, bad signature, expired, session ended) makes it inactive.
      if (err instanceof Refusal) return null
      throw err
    }
  })

  async function authenticate (request: FastifyRequest): Promise<SignedInAccount> {
    try {
      await request.jwtVerify()
    } catch (err) {
      throw asRefusal(err)
    }
    return request.currentUser!
  }
  fastify.decorate('authenticate', async (request: FastifyRequest) => { await authenticate(request) })
  fastify.decorate('requireAdmin', async (request: FastifyRequest) => {
    if (!isAdmin(await authenticate(request))) throw new Refusal('FORBIDDEN')
  })
}

export default fp(accessTokens, { name: 'access-tokens', dependencies: ['accounts'] })
