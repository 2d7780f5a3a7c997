import type { CodePurpose } from '@latchkey/shared'
import { hkdfSync } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { CodeFailures } from '../codes/code-failures.js'
import { OneTimeCodes } from '../codes/one-time-code.js'
import type { MailLimits } from '../codes/mail-quota.js'
import { DeviceTokens } from '../credentials/device-tokens.js'
import { createPasswordHasher, type HashingCost, type PasswordHasher } from '../credentials/passwords.js'
import { SignInAttempts, type LockoutPolicy } from '../credentials/sign-in-attempts.js'
import { AccountStore } from './accounts-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    accounts: AccountStore
    passwords: PasswordHasher
    codes: OneTimeCodes
    codeFailures: CodeFailures
    deviceTokens: DeviceTokens
    /** The cooldown and daily limits of code mails, per account and purpose. */
    mailLimits: MailLimits
    /** An account never activated is removed this long after its last registration. */
    pendingRetentionMs: number
    signInAttempts: SignInAttempts
  }
}

export interface AccountsOptions {
  codeSecret: string
  /** Digits of an emailed code, per purpose. */
  codeLengths: Record<CodePurpose, number>
  codeTtlSeconds: number
  codeMaxAttempts: number
  /** Wrong codes per address and purpose in 24 hours, across codes. */
  codeFailuresPerDay: number
  deviceTokenTtlSeconds: number
  mailLimits: MailLimits
  pendingRetentionMs: number
  lockout: LockoutPolicy
  /** argon2id's cost; OWASP's when absent (see passwords.ts). */
  hashing?: HashingCost
}

async function accounts (fastify: FastifyInstance, options: AccountsOptions): Promise<void> {
  const store = new AccountStore(fastify.db)
  const signInAttempts = new SignInAttempts(fastify.db, options.lockout, () => { fastify.authMetrics.lockouts.inc() })
  await store.ensureIndexes()
  const codeFailures = new CodeFailures(fastify.db, options.codeFailuresPerDay)
  await signInAttempts.ensureIndexes()
  await codeFailures.ensureIndexes()
  fastify.decorate('codeFailures', codeFailures)
  // HKDF, so the device-token key never doubles as the code key it comes from.
  fastify.decorate('deviceTokens', new DeviceTokens(Buffer.from(hkdfSync('sha256', options.codeSecret, 'latchkey', 'device token', 32)), options.deviceTokenTtlSeconds))
  fastify.decorate('accounts', store)
  fastify.decorate('signInAttempts', signInAttempts)
  fastify.decorate('passwords', await createPasswordHasher(fastify.authMetrics.passwordHashing, options.hashing))
  fastify.decorate('codes', new OneTimeCodes(options.codeSecret, options.codeLengths, options.codeTtlSeconds, options.codeMaxAttempts))
  fastify.decorate('mailLimits', options.mailLimits)
  fastify.decorate('pendingRetentionMs', options.pendingRetentionMs)
}

export default fp(accounts, { name: 'accounts', dependencies: ['database', 'auth-metrics'] })
