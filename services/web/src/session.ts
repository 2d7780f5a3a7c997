// The signed-in session. The access token lives only in this module's memory; the refresh
// token is an HttpOnly cookie the page never sees. Beside it the API sets `latchkey_session=1`,
// which holds no secret: without it there is no session to resume, so the page makes no
// refresh request that is bound to fail. Nothing goes to localStorage.
import { api, ApiFailure, serverNow, type Credentials, type Tokens, type User } from './api.js'
import { refusedWith } from './messages.js'

const SESSION_HINT = 'latchkey_session'
/** An access token this close to its expiry is refreshed first, so no request is refused for it. */
const EXPIRY_MARGIN_MS = 30_000

let accessToken: string | undefined
let expiresAt = 0
let refreshing: Promise<boolean> | undefined

function keep (tokens: Tokens): void {
  accessToken = tokens.access_token
  expiresAt = serverNow() + tokens.expires_in * 1000
}

function forget (): void {
  accessToken = undefined
  expiresAt = 0
}

const notSignedIn = (): ApiFailure => new ApiFailure(401, 'TOKEN_MISSING', 'Not signed in.')

/** Whether this browser holds a session to resume (the API's hint cookie beside the refresh cookie). */
export function hasSessionCookie (): boolean {
  return document.cookie.split(';').some((cookie) => cookie.trim().startsWith(`${SESSION_HINT}=`))
}

/** The API refused the refresh cookie: forget the hint, so later visits do not ask again. */
function dropSessionHint (): void {
  document.cookie = `${SESSION_HINT}=; Max-Age=0; Path=/; Secure; SameSite=Strict`
}

export async function signIn (credentials: Credentials): Promise<void> {
  keep(await api.login(credentials))
}

/** Trades the refresh cookie for a new access token; false when the API refuses it. One at a time. */
export async function restore (): Promise<boolean> {
  refreshing ??= api.refresh()
    .then((tokens) => { keep(tokens); return true })
    .catch((error: unknown) => {
      forget()
      // 401 REFRESH_INVALID / REFRESH_REUSED, 400 no cookie after all: simply not signed in.
      // A 429 or a 5xx says nothing about the session, so the hint stays.
      if (error instanceof ApiFailure && error.status >= 400 && error.status < 500 && error.status !== 429) {
        dropSessionHint()
        return false
      }
      throw error
    })
    .finally(() => { refreshing = undefined })
  return await refreshing
}

/**
 * Runs a request with a fresh access token: refreshed first when it is missing or about to
 * expire, and once more if the API still says it expired (a wrong local clock).
 */
async function withAccessToken<T> (request: (token: string) => Promise<T>): Promise<T> {
  if (accessToken === undefined || serverNow() > expiresAt - EXPIRY_MARGIN_MS) {
    if (!hasSessionCookie() || !(await restore())) {
      forget()
      throw notSignedIn()
    }
  }
  try {
    return await request(accessToken!)
  } catch (error) {
    if (!refusedWith(error, 'TOKEN_EXPIRED') || !(await restore())) throw error
    return await request(accessToken!)
  }
}

/** The signed-in user. Without a session cookie it fails at once, with no request. */
export async function currentUser (): Promise<User> {
  return (await withAccessToken(api.me)).user
}

/** Ends this browser's session and clears its cookies; without a session cookie there is nothing to end. */
export async function signOut (): Promise<void> {
  forget()
  if (!hasSessionCookie()) return
  try {
    await api.logout()
  } catch (error) {
    // The refresh cookie is gone although the hint stayed: already signed out.
    if (!refusedWith(error, 'REFRESH_TOKEN_MISSING')) throw error
  }
}

/** Ends every session of the account, on every device; this browser's cookies go with it. */
export async function signOutEverywhere (): Promise<string> {
  const done = await withAccessToken(api.logoutEverywhere)
  forget()
  return done.message
}

/** The API ended this session and cleared its cookies; the page forgets it too, hint included. */
function endedHere (): void {
  forget()
  dropSessionHint()
}

/** Changes the password; the API ends every session, this one included, and clears the cookies. */
export async function changePassword (currentPassword: string, newPassword: string): Promise<string> {
  const done = await withAccessToken(async (token) => await api.changePassword(token, currentPassword, newPassword))
  endedHere()
  return done.message
}

export async function deleteAccount (password: string): Promise<string> {
  const done = await withAccessToken(async (token) => await api.deleteAccount(token, password))
  endedHere()
  return done.message
}
