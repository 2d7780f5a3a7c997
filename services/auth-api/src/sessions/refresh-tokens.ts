import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { Collection, Db } from 'mongodb'
import type { AccountLocks } from '../accounts/account-lock.js'

interface RefreshTokenDocument {
  /** SHA-256 of the token: a stolen database holds no usable token. */
  _id: string
  userId: string
  /** The account's address: accounts are found by it (see UserDocument._id). */
  email: string
  familyId: string
  familyStartedAt: Date
  /** The account's session version at sign-in; the family dies when it moves on. */
  sessionVersion: number
  createdAt: Date
  expiresAt: Date
  usedAt: Date | null
  revokedAt: Date | null
}

export type RotationOutcome =
  | { kind: 'rotated', token: string }
  | { kind: 'invalid' }
  | { kind: 'reused' }

function digest (token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

/**
 * Opaque, single-use refresh tokens grouped in families (one per sign-in). Using one rotates
 * it; presenting an already used one means it was copied, so the whole family is revoked
 * (theft detection). Rotation runs under the family's lock: two replicas receiving the same
 * token at once cannot both rotate it.
 */
export class RefreshTokens {
  readonly #tokens: Collection<RefreshTokenDocument>

  constructor (db: Db, private readonly locks: AccountLocks, private readonly ttlSeconds: number) {
    this.#tokens = db.collection<RefreshTokenDocument>('refresh_tokens')
  }

  async ensureIndexes (): Promise<void> {
    await this.#tokens.createIndex({ familyId: 1 }, { name: 'family' })
    await this.#tokens.createIndex({ userId: 1 }, { name: 'user' })
  }

  get ttl (): number {
    return this.ttlSeconds
  }

  /** Starts a new family for a fresh sign-in. */
  async issue (userId: string, email: string, sessionVersion: number): Promise<string> {
    const now = new Date()
    return await this.#insert({ userId, email, sessionVersion, familyId: randomUUID(), familyStartedAt: now }, now)
  }

  async rotate (token: string, isUserAllowed: (family: Pick<RefreshTokenDocument, 'userId' | 'email' | 'sessionVersion'>) => Promise<boolean>): Promise<RotationOutcome> {
    const found = await this.#tokens.findOne({ _id: digest(token) })
    if (!found) return { kind: 'invalid' }
    return await this.locks.withLock(`refresh-family:${found.familyId}`, async () => {
      const now = new Date()
      const current = await this.#tokens.findOne({ _id: found._id })
      if (!current || current.revokedAt || current.expiresAt <= now) return { kind: 'invalid' }
      if (current.usedAt) {
        await this.revokeFamily(current.familyId, now)
        return { kind: 'reused' }
      }
      if (!await isUserAllowed(current)) {
        await this.revokeFamily(current.familyId, now)
        return { kind: 'invalid' }
      }
      await this.#tokens.updateOne({ _id: current._id }, { $set: { usedAt: now } })
      return { kind: 'rotated', token: await this.#insert(current, now) }
    })
  }

  /** Revokes the family the token belongs to; unknown tokens are ignored (logout is idempotent). */
  async revokeByToken (token: string): Promise<void> {
    const found = await this.#tokens.findOne({ _id: digest(token) })
    if (found) await this.revokeFamily(found.familyId, new Date())
  }

  async revokeFamily (familyId: string, now: Date): Promise<void> {
    await this.#tokens.updateMany({ familyId, revokedAt: null }, { $set: { revokedAt: now } })
  }

  async revokeAllFor (userId: string): Promise<void> {
    await this.#tokens.updateMany({ userId, revokedAt: null }, { $set: { revokedAt: new Date() } })
  }

  async #insert (family: Pick<RefreshTokenDocument, 'userId' | 'email' | 'familyId' | 'familyStartedAt' | 'sessionVersion'>, now: Date): Promise<string> {
    const token = randomBytes(32).toString('base64url')
    await this.#tokens.insertOne({
      _id: digest(token),
      userId: family.userId,
      email: family.email,
      familyId: family.familyId,
      familyStartedAt: family.familyStartedAt,
      sessionVersion: family.sessionVersion,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.ttlSeconds * 1000),
      usedAt: null,
      revokedAt: null
    })
    return token
  }
}
