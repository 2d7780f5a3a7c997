import type { FastifyInstance } from 'fastify'
import { normalizeEmail, PASSWORD_MAX_LENGTH } from '@latchkey/shared'
import type { AccountDocument } from '../accounts/account.js'
import { Refusal } from '../refusal.js'

/** RFC 5321's limit on an address, and a password far above the longest we accept. */
const MAX_ADDRESS_LENGTH = 320
const MAX_PASSWORD_INPUT = PASSWORD_MAX_LENGTH * 4

/**
 * Proves an email and password, as sign-in and Basic auth do. Credentials too long to be real are
 * refused before they reach storage or argon2. The attempt is reserved before the password is
 * checked (so a burst of guesses cannot outrun the lockout), and an unknown address pays for a
 * full argon2 verification against a stand-in hash, so timing does not tell which addresses exist.
 */
export async function proveCredentials (app: FastifyInstance, rawEmail: string, password: string): Promise<AccountDocument> {
  if (rawEmail.length > MAX_ADDRESS_LENGTH || password.length > MAX_PASSWORD_INPUT) throw new Refusal('INVALID_CREDENTIALS')
  const email = normalizeEmail(rawEmail)
  const [account] = await Promise.all([app.accounts.byEmail(email), app.signInAttempts.reserve(email, app.clock())])
  const valid = await app.passwords.verify(account?.passwordHash, password)
  app.authMetrics.signIns.inc({ result: account && valid ? 'success' : 'failure' })
  if (!account || !valid) throw new Refusal('INVALID_CREDENTIALS')
  await app.signInAttempts.succeeded(email)
  return account
}

/** Proves the password of an account already signed in (before a sensitive change); failures count toward the lockout. */
export async function confirmPassword (app: FastifyInstance, account: Pick<AccountDocument, 'email' | 'passwordHash'>, password: string, field: string): Promise<void> {
  await app.signInAttempts.reserve(account.email, app.clock())
  const valid = password.length <= MAX_PASSWORD_INPUT && await app.passwords.verify(account.passwordHash, password)
  app.authMetrics.signIns.inc({ result: valid ? 'success' : 'failure' })
  if (!valid) throw new Refusal('INVALID_PASSWORD', { field })
  await app.signInAttempts.succeeded(account.email)
}
