import { randomUUID } from 'node:crypto'
import { EventTypes, type SessionEndReason } from '@latchkey/shared'
import type { Filter, UpdateFilter } from 'mongodb'
import type { AccountDocument, SessionRecord, SignedInAccount } from '../accounts/account.js'
import { combine, type AccountStore } from '../accounts/accounts-store.js'
import type { OutboxRelay } from '../events/outbox-relay.js'
import { accountEvent, appendToOutbox, type RequestContext } from '../events/outbox.js'
import { Refusal } from '../refusal.js'
import { digest, type PresentedRefreshToken, type RefreshTokens } from './refresh-tokens.js'
import { isLiveSession } from './access-tokens.js'

export interface IssuedTokens {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  refresh_token: string
}

/** Used tokens remembered per session, to recognise a copied one when it comes back. */
const USED_TOKENS_KEPT = 10

/** What starting, refreshing and ending sessions needs. */
export interface SessionDeps {
  accounts: Pick<AccountStore, 'updateIf' | 'updateAndGet' | 'byId' | 'settle'>
  refreshTokens: RefreshTokens
  issueAccessToken: (account: AccountDocument, sessionId: string) => string
  accessTokenTtlSeconds: number
  maxSessionsPerAccount: number
  outbox: Pick<OutboxRelay, 'publishSoon'>
  clock: () => Date
}

function tokensFor (deps: Pick<SessionDeps, 'issueAccessToken' | 'accessTokenTtlSeconds'>, account: AccountDocument, sessionId: string, refreshToken: string): IssuedTokens {
  return { access_token: deps.issueAccessToken(account, sessionId), token_type: 'Bearer', expires_in: deps.accessTokenTtlSeconds, refresh_token: refreshToken }
}

function announceEnded (accountId: string, sessionIds: string[], reason: SessionEndReason, context: RequestContext): UpdateFilter<AccountDocument> {
  return appendToOutbox(accountEvent(EventTypes.sessionRevoked, accountId, { userId: accountId, sessionIds, reason }, context), context)
}

/** The update that ends the given sessions, announced by `user.session_revoked` in the same write. */
function endSessions (accountId: string, sessionIds: string[], reason: SessionEndReason, context: RequestContext): UpdateFilter<AccountDocument> {
  if (sessionIds.length === 0) return {}
  return combine({ $unset: Object.fromEntries(sessionIds.map((id) => [`sessions.${id}`, ''])) }, announceEnded(accountId, sessionIds, reason, context))
}

/** Ending every session: which ones they are, the filter under which that list is exact, and the update. */
export interface EveryoneSignedOut {
  sessionIds: string[]
  /** Matches only while the account has exactly these sessions: none ended, none started. */
  guard: Filter<AccountDocument>
  update: UpdateFilter<AccountDocument>
}

/**
 * Ends every session of the account (a password change, disabling, deletion): the caller puts
 * `guard` in its write's filter and announces the end with its own event, listing `sessionIds`.
 * When the guard fails, the caller reads the account again and decides again.
 */
export function endEverySession (account: Pick<AccountDocument, 'sessions' | 'sessionsStarted'>): EveryoneSignedOut {
  const sessionIds = Object.keys(account.sessions)
  return {
    sessionIds,
    // An account nobody has signed in to yet has no count at all.
    guard: { sessionsStarted: account.sessionsStarted ?? { $exists: false }, ...Object.fromEntries(sessionIds.map((id) => [`sessions.${id}`, { $exists: true }])) },
    update: { $set: { sessions: {} } }
  }
}

/**
 * Starts a sign-in. Written only if the password that was just proved is still the account's
 * (a password change meanwhile ends every session, and this one must not slip through). Expired
 * sessions are dropped in the same write, and the oldest ones beyond the per-account limit end.
 */
export async function startSession (app: SessionDeps, account: AccountDocument, context: RequestContext): Promise<IssuedTokens> {
  const now = app.clock()
  const sessionId = randomUUID()
  const refreshToken = app.refreshTokens.create(account._id, sessionId)
  const record: SessionRecord = { createdAt: now, expiresAt: new Date(now.getTime() + app.refreshTokens.ttlSeconds * 1000), refreshHash: digest(refreshToken), usedHashes: [] }

  const byAge = Object.entries(account.sessions).sort(([, a], [, b]) => a.createdAt.getTime() - b.createdAt.getTime())
  const expired = byAge.filter(([, session]) => session.expiresAt <= now).map(([id]) => id)
  const live = byAge.filter(([, session]) => session.expiresAt > now).map(([id]) => id)
  const overLimit = live.slice(0, Math.max(0, live.length - (app.maxSessionsPerAccount - 1)))

  const started = await app.accounts.updateIf(
    account._id,
    { status: 'active', passwordHash: account.passwordHash },
    combine(
      { $set: { [`sessions.${sessionId}`]: record }, $inc: { sessionsStarted: 1 } },
      expired.length > 0 ? { $unset: Object.fromEntries(expired.map((id) => [`sessions.${id}`, ''])) } : {},
      endSessions(account._id, overLimit, 'session_limit', context)
    ),
    now
  )
  if (!started) throw new Refusal('INVALID_CREDENTIALS')
  if (overLimit.length > 0) void app.outbox.publishSoon(account._id)
  return tokensFor(app, account, sessionId, refreshToken)
}

/**
 * Trades a refresh token for new tokens (rotation). The same token presented again within the
 * reuse interval (two tabs refreshing at once) gets the same successor, so neither signs the
 * user out; a used token presented later means it was copied, and its session ends.
 */
export async function refreshSession (app: SessionDeps, presented: PresentedRefreshToken, context: RequestContext): Promise<IssuedTokens> {
  const now = app.clock()
  const { accountId, sessionId, hash } = presented
  const path = `sessions.${sessionId}`
  const successor = app.refreshTokens.successorOf(presented)
  const successorHash = digest(successor)

  const rotated = await app.accounts.updateAndGet(
    accountId,
    { status: 'active', [`${path}.refreshHash`]: hash, [`${path}.expiresAt`]: { $gt: now } },
    {
      $set: { [`${path}.refreshHash`]: successorHash, [`${path}.rotatedFrom`]: hash, [`${path}.rotatedAt`]: now },
      $push: { [`${path}.usedHashes`]: { $each: [hash], $slice: -USED_TOKENS_KEPT } }
    },
    now
  )
  if (rotated) return tokensFor(app, rotated, sessionId, successor)

  const account = await app.accounts.byId(accountId)
  const session = account?.sessions[sessionId]
  if (!account || !session || !isLiveSession(account, sessionId, now)) throw new Refusal('REFRESH_INVALID')
  const concurrent = session.rotatedFrom === hash && session.refreshHash === successorHash &&
    now.getTime() - (session.rotatedAt?.getTime() ?? 0) <= app.refreshTokens.reuseIntervalSeconds * 1000
  if (concurrent) return tokensFor(app, account, sessionId, successor)
  if (!session.usedHashes.includes(hash)) throw new Refusal('REFRESH_INVALID')

  const ended = await app.accounts.updateIf(accountId, { [path]: { $exists: true } }, endSessions(accountId, [sessionId], 'refresh_reused', context), now)
  if (ended) void app.outbox.publishSoon(accountId)
  throw new Refusal('REFRESH_REUSED')
}

/** Signs out the session a refresh token belongs to; idempotent, and silent about tokens it does not know. */
export async function endSessionOf (app: SessionDeps, presented: PresentedRefreshToken, context: RequestContext): Promise<void> {
  const path = `sessions.${presented.sessionId}`
  const ended = await app.accounts.updateIf(
    presented.accountId,
    { $or: [{ [`${path}.refreshHash`]: presented.hash }, { [`${path}.usedHashes`]: presented.hash }] },
    endSessions(presented.accountId, [presented.sessionId], 'logout', context),
    app.clock()
  )
  if (ended) void app.outbox.publishSoon(presented.accountId)
}

/** Signs out every session of the account. */
export async function endAllSessions (app: SessionDeps, account: SignedInAccount, context: RequestContext): Promise<void> {
  const ended = await app.accounts.settle(account._id, account, (current) => {
    if (current?.status !== 'active') return { done: false }
    const { sessionIds, guard, update } = endEverySession(current)
    return { expected: { status: 'active', ...guard }, update: combine(update, announceEnded(current._id, sessionIds, 'logout_everywhere', context)), now: app.clock(), result: () => true }
  })
  if (ended) void app.outbox.publishSoon(account._id)
}
