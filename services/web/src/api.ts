// A thin client for the Latchkey API on the page's own origin. Every response is JSON with
// `status`; failures carry a stable `code`, which messages.ts turns into a sentence.
import type { Activated, CodeSent, Done, Profile as User, Registered, ResetRequested, Tokens as ApiTokens } from '../../../shared/src/api-schemas.js'

// The answers' types come from the schemas the API validates them with (type-only: nothing of
// TypeBox is bundled into the page).
export type { Activated, CodeSent, Done, Profile as User, Registered, ResetRequested } from '../../../shared/src/api-schemas.js'

/** A sign-in or refresh as the page receives it: the refresh token stays in its cookie. */
export type Tokens = Omit<ApiTokens, 'refresh_token'>

/** Where a pending code stands, as a registration or a resend reports it. */
export type PendingCode = Pick<CodeSent, 'code_expires_at' | 'resend_available_at' | 'attempts_left'>

export interface Credentials {
  email: string
  password: string
}

/** A refused request (or no answer at all: status 0, code NETWORK_ERROR; an answer without a code: UNEXPECTED_ANSWER). */
export class ApiFailure extends Error {
  constructor (
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    /** Seconds from Retry-After or retry_after_seconds, when the server said. */
    readonly retryAfterSeconds?: number
  ) {
    super(message)
  }

  get field (): string | undefined {
    return typeof this.details['field'] === 'string' ? this.details['field'] : undefined
  }

  get attemptsLeft (): number | undefined {
    return typeof this.details['attempts_left'] === 'number' ? this.details['attempts_left'] : undefined
  }
}

// The browser flow: the refresh token travels only in an HttpOnly cookie the API sets.
const COOKIE_TRANSPORT = { 'X-Token-Transport': 'cookie' }

let clockOffsetMs = 0

/** The server's time, from the Date header of the latest answer: countdowns survive a wrong local clock. */
export function serverNow (): number {
  return Date.now() + clockOffsetMs
}

/** The moment `seconds` from now on the server's clock (a TTL, a Retry-After). */
export function secondsFromNow (seconds: number): Date {
  return new Date(serverNow() + seconds * 1000)
}

function noteServerClock (response: Response): void {
  const date = Date.parse(response.headers.get('Date') ?? '')
  // Date has whole seconds; ignore differences below that, they are rounding.
  if (Number.isFinite(date)) clockOffsetMs = Math.abs(date - Date.now()) > 1500 ? date - Date.now() : 0
}

function retryAfter (response: Response, body: Record<string, unknown>): number | undefined {
  if (typeof body['retry_after_seconds'] === 'number') return body['retry_after_seconds']
  const header = Number(response.headers.get('Retry-After'))
  return Number.isFinite(header) && header > 0 ? header : undefined
}

const bearer = (accessToken: string): Record<string, string> => ({ Authorization: `Bearer ${accessToken}` })

async function call<T> (method: string, path: string, options: { json?: unknown, headers?: Record<string, string> } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers }
  if (options.json !== undefined) headers['Content-Type'] = 'application/json'
  let response: Response
  try {
    response = await fetch(path, {
      method,
      headers,
      body: options.json === undefined ? null : JSON.stringify(options.json),
      credentials: 'same-origin',
      cache: 'no-store'
    })
  } catch {
    throw new ApiFailure(0, 'NETWORK_ERROR', 'The server could not be reached.')
  }
  noteServerClock(response)
  const body = await response.json().catch(() => ({})) as Record<string, unknown>
  if (response.ok && body['status'] !== 'error') return body as T
  const code = typeof body['code'] === 'string' ? body['code'] : 'UNEXPECTED_ANSWER'
  const message = typeof body['message'] === 'string' ? body['message'] : response.statusText
  throw new ApiFailure(response.status, code, message, body, retryAfter(response, body))
}

/** HTTP Basic credentials, UTF-8 encoded (btoa alone would reject non-Latin-1 passwords). */
export function basicAuthorization ({ email, password }: Credentials): string {
  const bytes = new TextEncoder().encode(`${email}:${password}`)
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return `Basic ${btoa(binary)}`
}

export const api = {
  register: async (credentials: Credentials): Promise<Registered> =>
    await call('POST', '/register', { json: credentials }),

  verify: async (credentials: Credentials, code: string): Promise<Activated> =>
    await call('POST', '/verify', { json: { verification_code: code }, headers: { Authorization: basicAuthorization(credentials) } }),

  resend: async (credentials: Credentials): Promise<CodeSent> =>
    await call('POST', '/verify/resend', { headers: { Authorization: basicAuthorization(credentials) } }),

  login: async (credentials: Credentials): Promise<Tokens> =>
    await call('POST', '/login', { json: credentials, headers: COOKIE_TRANSPORT }),

  refresh: async (): Promise<Tokens> =>
    await call('POST', '/token/refresh', { headers: COOKIE_TRANSPORT }),

  logout: async (): Promise<unknown> =>
    await call('POST', '/logout', { headers: COOKIE_TRANSPORT }),

  /** Ends every session of the account and clears this browser's cookies. */
  logoutEverywhere: async (accessToken: string): Promise<Done> =>
    await call('POST', '/logout?scope=global', { headers: { ...COOKIE_TRANSPORT, ...bearer(accessToken) } }),

  me: async (accessToken: string): Promise<{ user: User }> =>
    await call('GET', '/me', { headers: bearer(accessToken) }),

  /** Ends every session, this one included, and clears this browser's cookies. */
  changePassword: async (accessToken: string, currentPassword: string, newPassword: string): Promise<Done> =>
    await call('POST', '/me/password', { json: { current_password: currentPassword, new_password: newPassword }, headers: { ...COOKIE_TRANSPORT, ...bearer(accessToken) } }),

  deleteAccount: async (accessToken: string, password: string): Promise<Done> =>
    await call('DELETE', '/me', { json: { password }, headers: { ...COOKIE_TRANSPORT, ...bearer(accessToken) } }),

  /** Always 202 for a well-formed address, with the same timings: it tells nothing about whether an account uses it. */
  forgotPassword: async (email: string): Promise<ResetRequested> =>
    await call('POST', '/password/forgot', { json: { email } }),

  resetPassword: async (email: string, code: string, newPassword: string): Promise<Done> =>
    await call('POST', '/password/reset', { json: { email, code, new_password: newPassword } })
}
