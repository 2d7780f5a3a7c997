import { normalizeEmail, PASSWORD_MAX_LENGTH } from '@latchkey/shared'
import type { Counter } from 'prom-client'
import type { AccountDocument } from '../accounts/account.js'
import type { AccountStore } from '../accounts/accounts-store.js'
import { Refusal } from '../refusal.js'
import type { DeviceTokens } from './device-tokens.js'
import type { PasswordHasher } from './passwords.js'
import type { SignInAttempts } from './sign-in-attempts.js'

/** RFC 5321's limit on an address, and a password far above the longest we accept. */
const MAX_ADDRESS_LENGTH = 320
const MAX_PASSWORD_INPUT = PASSWORD_MAX_LENGTH * 4

/** What proving a password needs. */
export interface CredentialProofDeps {
  accounts: Pick<AccountStore, 'byEmail'>
  signInAttempts: Pick<SignInAttempts, 'reserve' | 'succeeded'>
  passwords: Pick<PasswordHasher, 'verify'>
  deviceTokens: Pick<DeviceTokens, 'deviceOf'>
  authMetrics: { signIns: Pick<Counter<'result'>, 'inc'> }
  clock: () => Date
}

/**
 * The lockout count an attempt goes to. A browser with a valid device token for the address
 * counts on its own; every other attempt shares the address's anonymous pool. Addresses hold no
 * spaces once normalised, so no address can name another's device count.
 */
export function attemptsKey (address: string, device: string | undefined): string {
  return device === undefined ? address : `${address} device:${device}`
}

/** Password confirmations by a signed-in owner count on the account, apart from every sign-in pool. */
function confirmationsKey (account: Pick<AccountDocument, '_id'>): string {
  return `account:${account._id}`
}

/**
 * Proves an email and password, as sign-in and Basic auth do. Credentials too long to be real are
 * refused before they reach storage or argon2. The attempt is reserved before the password is
 * checked (so a burst of guesses cannot outrun the lockout), and an unknown address pays for a
 * full argon2 verification against a stand-in hash, so timing does not tell which addresses exist.
 * `deviceToken` is the browser's device cookie, if any: see attemptsKey.
 */
export async function proveCredentials (deps: CredentialProofDeps, rawEmail: string, password: string, deviceToken?: string): Promise<AccountDocument> {
  if (rawEmail.length > MAX_ADDRESS_LENGTH || password.length > MAX_PASSWORD_INPUT) throw new Refusal('INVALID_CREDENTIALS')
  const email = normalizeEmail(rawEmail)
  const now = deps.clock()
  const key = attemptsKey(email, deps.deviceTokens.deviceOf(deviceToken, email, now))
  const [account] = await Promise.all([deps.accounts.byEmail(email), deps.signInAttempts.reserve(key, now)])
  const valid = await deps.passwords.verify(account?.passwordHash, password)
  deps.authMetrics.signIns.inc({ result: account && valid ? 'success' : 'failure' })
  if (!account || !valid) throw new Refusal('INVALID_CREDENTIALS')
  await deps.signInAttempts.succeeded(key)
  return account
}

/** Proves the password of an account already signed in (before a sensitive change); failures count toward the account's own lockout. */
export async function confirmPassword (deps: Omit<CredentialProofDeps, 'accounts' | 'deviceTokens'>, account: Pick<AccountDocument, '_id' | 'passwordHash'>, password: string, field: string): Promise<void> {
  const key = confirmationsKey(account)
  await deps.signInAttempts.reserve(key, deps.clock())
  const valid = password.length <= MAX_PASSWORD_INPUT && await deps.passwords.verify(account.passwordHash, password)
  deps.authMetrics.signIns.inc({ result: valid ? 'success' : 'failure' })
  if (!valid) throw new Refusal('INVALID_PASSWORD', { field })
  await deps.signInAttempts.succeeded(key)
}
