import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import './argon2-build.js' // first: chooses the addon build before argon2 loads it
import argon2 from 'argon2'
import type { Histogram } from 'prom-client'
import { codePointLength, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '@latchkey/shared'
import { Refusal } from '../refusal.js'

const commonPasswords = createRequire(import.meta.url)('fxa-common-password-list') as { test (password: string): boolean }

/** argon2id's cost parameters (memory in KiB). */
export interface HashingCost {
  memoryCost: number
  timeCost: number
  parallelism: number
}

/**
 * OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, t=2, p=1. The API, the CLI, e2e and the
 * bench hash at this cost; configuration admits no other (PASSWORD_HASHING in config.ts). Only
 * the unit tests' helper passes a cheaper cost, through the app's options.
 */
export const OWASP_HASHING: HashingCost = { memoryCost: 19_456, timeCost: 2, parallelism: 1 }

/**
 * NIST 800-63B / ASVS 6.2: length limits counted in Unicode code points, no composition
 * rules, and a blocklist of common passwords. The password is never trimmed or altered.
 */
export function assertAcceptablePassword (password: string, field = 'password'): void {
  const length = codePointLength(password)
  if (length < PASSWORD_MIN_LENGTH) {
    throw new Refusal('PASSWORD_TOO_SHORT', { field }, `Use at least ${PASSWORD_MIN_LENGTH} characters.`)
  }
  if (length > PASSWORD_MAX_LENGTH) {
    throw new Refusal('PASSWORD_TOO_LONG', { field }, `Use at most ${PASSWORD_MAX_LENGTH} characters.`)
  }
  if (commonPasswords.test(password)) {
    throw new Refusal('PASSWORD_TOO_COMMON', { field })
  }
}

export interface PasswordHasher {
  hash (password: string): Promise<string>
  /** Verifies against a hash, or against a throwaway hash when there is none, so both cost the same time. */
  verify (hash: string | undefined, password: string): Promise<boolean>
}

/** Hashing is the intended cost of the API; its duration is worth watching on its own. */
export async function createPasswordHasher (timing?: Histogram<'operation'>, cost: HashingCost = OWASP_HASHING): Promise<PasswordHasher> {
  const hashingOptions = { type: argon2.argon2id, ...cost } as const
  const standIn = await argon2.hash(randomBytes(32), hashingOptions)
  const timed = async <T> (operation: 'hash' | 'verify', work: () => Promise<T>): Promise<T> => {
    const stop = timing?.startTimer({ operation })
    try {
      return await work()
    } finally {
      stop?.()
    }
  }
  return {
    hash: async (password) => await timed('hash', async () => await argon2.hash(password, hashingOptions)),
    verify: async (hash, password) => {
      const matches = await timed('verify', async () => await argon2.verify(hash ?? standIn, password).catch(() => false))
      return matches && hash !== undefined
    }
  }
}
