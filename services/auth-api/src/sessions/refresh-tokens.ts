import { createHash, createHmac, randomBytes } from 'node:crypto'

export interface PresentedRefreshToken {
  token: string
  accountId: string
  sessionId: string
  hash: string
}

const uuid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
const shape = new RegExp(`^(${uuid})\\.(${uuid})\\.[A-Za-z0-9_-]{43}$`)

/**
 * Opaque refresh tokens, `<account id>.<session id>.<secret>`: a token names its session, so
 * using one is a single keyed write. Only SHA-256 digests are stored. A token's successor is
 * derived from it under a server key, so every replica that sees the same token again within the
 * reuse interval (two tabs refreshing at once) hands out the same successor, without storing any
 * token in clear.
 */
export class RefreshTokens {
  constructor (
    private readonly successorKey: Buffer,
    readonly ttlSeconds: number,
    readonly reuseIntervalSeconds: number
  ) {}

  create (accountId: string, sessionId: string): string {
    return `${accountId}.${sessionId}.${randomBytes(32).toString('base64url')}`
  }

  parse (token: string): PresentedRefreshToken | null {
    const match = shape.exec(token)
    if (!match) return null
    return { token, accountId: match[1]!, sessionId: match[2]!, hash: digest(token) }
  }

  successorOf (presented: PresentedRefreshToken): string {
    return `${presented.accountId}.${presented.sessionId}.${createHmac('sha256', this.successorKey).update(presented.token).digest('base64url')}`
  }
}

export function digest (token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}
