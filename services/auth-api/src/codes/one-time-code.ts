import type { CodePurpose } from '@latchkey/shared'
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto'
import type { StoredCode } from '../accounts/account.js'

export interface IssuedCode {
  code: string
  stored: StoredCode
}

/**
 * Codes come from the CSPRNG and are stored as HMAC-SHA256 under a server key. A plain
 * hash of 10^4 possibilities would fall to an offline search in milliseconds; the key
 * makes a leaked database useless for that. The purpose, account and issue time are part
 * of the MAC, so a code only works for the request that produced it.
 */
export class OneTimeCodes {
  constructor (
    private readonly secret: string,
    /** Digits per purpose: a reset code recovers an account and is longer than an activation code. */
    private readonly lengths: Readonly<Record<CodePurpose, number>>,
    readonly ttlSeconds: number,
    readonly maxAttempts: number
  ) {}

  lengthOf (purpose: CodePurpose): number {
    return this.lengths[purpose]
  }

  issue (purpose: CodePurpose, accountKey: string, now: Date): IssuedCode {
    const length = this.lengthOf(purpose)
    const code = randomInt(0, 10 ** length).toString().padStart(length, '0')
    return {
      code,
      stored: {
        hash: this.#mac(purpose, accountKey, now, code),
        issuedAt: now,
        expiresAt: new Date(now.getTime() + this.ttlSeconds * 1000),
        attempts: 0
      }
    }
  }

  matches (purpose: CodePurpose, accountKey: string, stored: StoredCode, candidate: string): boolean {
    const expected = Buffer.from(stored.hash, 'base64url')
    const actual = Buffer.from(this.#mac(purpose, accountKey, stored.issuedAt, candidate), 'base64url')
    return expected.length === actual.length && timingSafeEqual(expected, actual)
  }

  /** Valid while now < expiresAt: at exactly the lifetime, the code is gone. */
  isExpired (stored: StoredCode, now: Date): boolean {
    return now.getTime() >= stored.expiresAt.getTime()
  }

  isWellFormed (purpose: CodePurpose, candidate: string): boolean {
    return candidate.length === this.lengthOf(purpose) && /^[0-9]+$/.test(candidate)
  }

  #mac (purpose: CodePurpose, accountKey: string, issuedAt: Date, code: string): string {
    return createHmac('sha256', this.secret)
      .update(`${purpose}\n${accountKey}\n${issuedAt.getTime()}\n${code}`)
      .digest('base64url')
  }
}
