import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { OneTimeCodes } from '../codes/one-time-code.js'
import { SignInFailures, type LockoutPolicy } from '../credentials/failure-counter.js'
import { createPasswordHasher, type PasswordHasher } from '../credentials/passwords.js'
import { UsersRepository } from './users.js'

declare module 'fastify' {
  interface FastifyInstance {
    users: UsersRepository
    passwords: PasswordHasher
    codes: OneTimeCodes
    signInFailures: SignInFailures
  }
}

export interface AccountsOptions {
  codeSecret: string
  codeLength: number
  codeTtlSeconds: number
  codeMaxAttempts: number
  resendIntervalSeconds: number
  codeMailsPerDay: number
  lockout: LockoutPolicy
}

async function accounts (fastify: FastifyInstance, options: AccountsOptions): Promise<void> {
  const users = new UsersRepository(fastify.db, {
    resendIntervalSeconds: options.resendIntervalSeconds,
    mailsPerDay: options.codeMailsPerDay
  })
  await users.ensureIndexes()
  fastify.decorate('users', users)
  fastify.decorate('passwords', await createPasswordHasher())
  fastify.decorate('signInFailures', new SignInFailures(fastify.db, users.locks, options.lockout))
  fastify.decorate('codes', new OneTimeCodes(options.codeSecret, options.codeLength, options.codeTtlSeconds, options.codeMaxAttempts))
}

export default fp(accounts, { name: 'accounts', dependencies: ['database'] })
