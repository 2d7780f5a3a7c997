import type { CodePurpose } from '@latchkey/shared'
import { randomUUID } from 'node:crypto'

export type AccountStatus = 'pending' | 'active' | 'disabled' | 'deleted'
export type Role = 'user' | 'admin'

/** A pending one-time code as stored: only its keyed hash, never the digits. */
export interface StoredCode {
  hash: string
  issuedAt: Date
  expiresAt: Date
  /** Tries used so far, each reserved before its comparison. */
  attempts: number
}

/** Code mails of one purpose: a cooldown between two, and counts for the current UTC day. */
export interface MailQuota {
  day: string
  sent: number
  nextAllowedAt: Date
  /** Mails today asked for by unauthenticated requests, per client network (see networkOf). */
  networks: Record<string, number>
}

/** One sign-in: the refresh token it currently accepts, and what it accepted before. */
export interface SessionRecord {
  createdAt: Date
  expiresAt: Date
  refreshHash: string
  /** The token the current one replaced, and when: for the reuse interval of concurrent refreshes. */
  rotatedFrom?: string
  rotatedAt?: Date
  /** The newest used tokens of this session: presenting one of them again means it was copied. */
  usedHashes: string[]
}

/** An event waiting, inside the document it belongs to, for the relay to publish it. */
export interface OutboxEntry {
  type: string
  /** The CloudEvent, serialised: event data may hold keys MongoDB refuses in field names. */
  body: string
  correlationId: string
  /** W3C trace context, also sent as the message's `traceparent` header. */
  traceparent: string
  createdAt: Date
  /** Code events must reach a queue (see OutboxRelay#publish); notices need not. */
  mandatory: boolean
}

export interface AccountDocument {
  /** The account's stable id: `sub` in tokens, `userId` in events. */
  _id: string
  /** Normalised; unique among accounts that are not deleted. */
  email: string
  passwordHash: string
  status: AccountStatus
  roles: Role[]
  createdAt: Date
  updatedAt: Date
  activatedAt: Date | null
  codes: Partial<Record<CodePurpose, StoredCode>>
  mailQuota: Partial<Record<CodePurpose, MailQuota>>
  sessions: Record<string, SessionRecord>
  /**
   * Sign-ins ever started (absent before the first). A write that ends every session guards on
   * it, so a sign-in that lands meanwhile makes that write decide again instead of ending a
   * session its event would not list.
   */
  sessionsStarted?: number
  outbox: Record<string, OutboxEntry>
  /** Events the broker refused for their content (e.g. an overlong property): kept for a person to look at, never retried. */
  outboxParked?: Record<string, OutboxEntry>
  /** When the relay should publish the outbox next; absent when it is empty. */
  outboxDueAt?: Date
  /** A relay that claimed the outbox owns it until then. */
  outboxLeaseUntil?: Date
  outboxClaim?: string
  outboxAttempts?: number
  /** Accounts never activated, and tombstones, are removed after this (see storage/retention.ts). */
  purgeAt?: Date
}

/** An account as authenticated routes see it: what they never read is left in the database. */
export type SignedInAccount = Omit<AccountDocument, 'outbox' | 'codes' | 'mailQuota'>

/** An account that starts out active, with nothing pending: made by an operator, not by registering. */
export function activeAccount (email: string, passwordHash: string, roles: Role[], now: Date): AccountDocument {
  return {
    _id: randomUUID(),
    email,
    passwordHash,
    status: 'active',
    roles,
    createdAt: now,
    updatedAt: now,
    activatedAt: now,
    codes: {},
    mailQuota: {},
    sessions: {},
    outbox: {}
  }
}

export function isAdmin (account: Pick<AccountDocument, 'roles'>): boolean {
  return account.roles.includes('admin')
}
