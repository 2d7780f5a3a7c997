// Client-side checks that mirror the API's rules, so people learn about a mistake before
// a round trip. The server stays the authority: it checks everything again.
// Pure functions, no DOM: test/validation.test.ts runs them under Node.

import { codePointLength, isDeliverableAddress, normalizeEmail, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../../shared/src/account-rules.js'

// The same rules as the API's, from the one file both use.
export { codePointLength, normalizeEmail, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH }

/** Form fields by role; an input's id is `<form>-<field>`. `password` is the one being chosen or proved, `current` the one a signed-in person confirms. */
export type Field = 'email' | 'password' | 'confirm' | 'code' | 'current'

export interface FieldError {
  field: Field
  message: string
}

export function checkEmail (raw: string): string | undefined {
  const email = normalizeEmail(raw)
  if (email === '') return 'Enter your email address.'
  if (!isDeliverableAddress(email)) return 'Enter a valid email address, like name@example.com.'
  return undefined
}

/** The rules for choosing a password (registration). The password is never trimmed. */
export function checkNewPassword (password: string): string | undefined {
  if (password === '') return 'Choose a password.'
  const length = codePointLength(password)
  if (length < PASSWORD_MIN_LENGTH) {
    return `Use at least ${PASSWORD_MIN_LENGTH} characters for your password (this one has ${length}).`
  }
  if (length > PASSWORD_MAX_LENGTH) {
    return `Use at most ${PASSWORD_MAX_LENGTH} characters for your password (this one has ${length}).`
  }
  return undefined
}

/** An existing password (activation, sign-in, confirming a change): only required; its rules were checked when it was chosen. */
export function checkCurrentPassword (password: string): string | undefined {
  return password === '' ? 'Enter your password.' : undefined
}

export function checkConfirmation (password: string, confirm: string): string | undefined {
  if (confirm === '') return 'Type the password again to confirm it.'
  if (confirm !== password) return 'The two passwords do not match.'
  return undefined
}

/** Exactly `length` ASCII digits, like the API's check; surrounding spaces from a paste are forgiven. */
export function checkCode (raw: string, length: number): string | undefined {
  const code = raw.trim()
  if (code === '') return `Enter the ${length}-digit code from the email.`
  if (!new RegExp(`^[0-9]{${length}}$`).test(code)) return `The code is exactly ${length} digits, like ${'0123456789'.slice(0, length)}.`
  return undefined
}

function collect (checks: Array<[Field, string | undefined]>): FieldError[] {
  return checks.flatMap(([field, message]) => (message === undefined ? [] : [{ field, message }]))
}

export function checkRegistration (input: { email: string, password: string, confirm: string }): FieldError[] {
  return collect([
    ['email', checkEmail(input.email)],
    ['password', checkNewPassword(input.password)],
    ['confirm', checkConfirmation(input.password, input.confirm)]
  ])
}

export function checkActivation (input: { email: string, password: string, code: string }, codeLength: number): FieldError[] {
  return collect([
    ['email', checkEmail(input.email)],
    ['password', checkCurrentPassword(input.password)],
    ['code', checkCode(input.code, codeLength)]
  ])
}

/** Resending needs the credentials only, not a code. */
export function checkResend (input: { email: string, password: string }): FieldError[] {
  return collect([
    ['email', checkEmail(input.email)],
    ['password', checkCurrentPassword(input.password)]
  ])
}

export function checkSignIn (input: { email: string, password: string }): FieldError[] {
  return checkResend(input)
}

/** Asking for a reset code needs only the address. */
export function checkForgot (input: { email: string }): FieldError[] {
  return collect([['email', checkEmail(input.email)]])
}

export function checkReset (input: { email: string, code: string, password: string, confirm: string }, codeLength: number): FieldError[] {
  return collect([
    ['email', checkEmail(input.email)],
    ['code', checkCode(input.code, codeLength)],
    ['password', checkNewPassword(input.password)],
    ['confirm', checkConfirmation(input.password, input.confirm)]
  ])
}

export function checkPasswordChange (input: { current: string, password: string, confirm: string }): FieldError[] {
  return collect([
    ['current', checkCurrentPassword(input.current)],
    ['password', checkNewPassword(input.password)],
    ['confirm', checkConfirmation(input.password, input.confirm)]
  ])
}

/** Deleting the account is confirmed with its password. */
export function checkDeletion (input: { current: string }): FieldError[] {
  return collect([['current', checkCurrentPassword(input.current)]])
}
