import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { OneTimeCodes } from '../codes/one-time-code.js'
import type { MailLimits } from '../codes/mail-quota.js'
import { createPasswordHasher, type HashingCost, type PasswordHasher } from '../credentials/passwords.js'
import { SignInAttempts, type LockoutPolicy } from '../credentials/sign-in-attempts.js'
import { AccountStore } from './accounts-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    accounts: AccountStore
    passwords: PasswordHasher
    codes: OneTimeCodes
    policy: AccountPolicy
    signInAttempts: SignInAttempts
  }
}

/** Limits that shape accounts over time. */
export interface AccountPolicy {
  mail: MailLimits
  /** An account never activated is removed this long after its last registration. */
  pendingRetentionMs: number
  /** Sign-ins kept per account; the oldest ends when one more starts. */
  maxSessions: number
}

export interface AccountsOptions {
  codeSecret: string
  codeLength: number
  codeTtlSeconds: number
  codeMaxAttempts: number
  policy: AccountPolicy
  lockout: LockoutPolicy
  /** argon2id's cost; OWASP's when absent (see passwords.ts). */
  hashing?: HashingCost
}

async function accounts (fastify: FastifyInstance, options: AccountsOptions): Promise<void> {
  const store = new AccountStore(fastify.db)
  const signInAttempts = new SignInAttempts(fastify.db, options.lockout, () => { fastify.authMetrics.lockouts.inc() })
  await store.ensureIndexes()
  await signInAttempts.ensureIndexes()
  fastify.decorate('accounts', store)
  fastify.decorate('signInAttempts', signInAttempts)
  fastify.decorate('passwords', await createPasswordHasher(fastify.authMetrics.passwordHashing, options.hashing))
  fastify.decorate('codes', new OneTimeCodes(options.codeSecret, options.codeLength, options.codeTtlSeconds, options.codeMaxAttempts))
  fastify.decorate('policy', options.policy)
}

export default fp(accounts, { name: 'accounts', dependencies: ['database', 'auth-metrics'] })
