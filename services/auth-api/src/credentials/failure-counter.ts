import type { FastifyInstance } from 'fastify'
import type { UserDocument } from '../accounts/users.js'
import { ApiError } from '../http/errors.js'

export interface LockoutPolicy {
  /** Consecutive failures allowed before the account is refused for a while. */
  threshold: number
  baseSeconds: number
  maxSeconds: number
}

/** Consecutive failed proofs of the password or of an emailed code, shared by every way in. */
export interface SignInFailures {
  count: number
  lockedUntil: Date | null
}

/**
 * One counter per account for login, Basic-auth activation and password reset. Past the
 * threshold each failure doubles the wait, capped at `maxSeconds`: a guesser is slowed to a
 * crawl, while the real owner is never shut out for longer than the cap. A success resets it.
 */
export function assertNotLocked (user: UserDocument, now: Date): void {
  const lockedUntil = user.signInFailures?.lockedUntil
  if (lockedUntil && lockedUntil > now) {
    const seconds = Math.max(1, Math.ceil((lockedUntil.getTime() - now.getTime()) / 1000))
    throw new ApiError(429, 'ACCOUNT_LOCKED', `Too many failed attempts. Try again in ${seconds} s.`, { retry_after_seconds: seconds }, { 'retry-after': String(seconds) })
  }
}

export function lockoutAfter (count: number, policy: LockoutPolicy): number {
  if (count < policy.threshold) return 0
  return Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** (count - policy.threshold))
}

export async function recordFailure (app: FastifyInstance, email: string): Promise<void> {
  await app.users.withAccount(email, async (user) => {
    if (user) await countFailure(app, user)
  })
}

/** The same, for a caller that already holds the account (UsersRepository.withAccount). */
export async function countFailure (app: FastifyInstance, user: UserDocument): Promise<void> {
  const now = app.clock()
  const count = (user.signInFailures?.count ?? 0) + 1
  const seconds = lockoutAfter(count, app.lockout)
  const signInFailures: SignInFailures = { count, lockedUntil: seconds > 0 ? new Date(now.getTime() + seconds * 1000) : null }
  await app.users.update(user, { $set: { signInFailures } }, now)
}

export async function recordSuccess (app: FastifyInstance, user: UserDocument): Promise<void> {
  if (!user.signInFailures?.count) return
  await app.users.withAccount(user.email, async (current) => {
    if (current) await app.users.update(current, { $set: { signInFailures: { count: 0, lockedUntil: null } } }, app.clock())
  })
}
