// The signed-in session. The access token lives only in this module's memory; the refresh
// token is an HttpOnly cookie the page never sees. Nothing goes to localStorage.
import { api, ApiFailure, type Credentials, type User } from './api.js'

let accessToken: string | undefined
let refreshing: Promise<boolean> | undefined

export async function signIn (credentials: Credentials): Promise<void> {
  accessToken = (await api.login(credentials)).access_token
}

/** Trades the refresh cookie for a new access token; false when there is no valid session. One at a time. */
export async function restore (): Promise<boolean> {
  refreshing ??= api.refresh()
    .then((tokens) => { accessToken = tokens.access_token; return true })
    .catch((error: unknown) => {
      accessToken = undefined
      // 401 REFRESH_INVALID / REFRESH_REUSED, or no such endpoint: simply not signed in.
      if (error instanceof ApiFailure && error.status >= 400 && error.status < 500) return false
      throw error
    })
    .finally(() => { refreshing = undefined })
  return await refreshing
}

/** The signed-in user; an expired access token is refreshed once, then the call is repeated. */
export async function currentUser (): Promise<User> {
  if (accessToken === undefined && !(await restore())) {
    throw new ApiFailure(401, 'TOKEN_MISSING', 'Not signed in.')
  }
  try {
    return (await api.me(accessToken!)).user
  } catch (error) {
    if (!(error instanceof ApiFailure && error.code === 'TOKEN_EXPIRED') || !(await restore())) throw error
    return (await api.me(accessToken!)).user
  }
}

export async function signOut (): Promise<void> {
  accessToken = undefined
  try {
    await api.logout()
  } catch (error) {
    // No cookie any more (expired, or signed out in another tab): already signed out.
    if (!(error instanceof ApiFailure && error.code === 'REFRESH_TOKEN_MISSING')) throw error
  }
}
