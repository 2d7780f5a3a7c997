// The session logic against a scripted fetch and a cookie jar standing in for the browser's:
// the access token stays in memory, it is refreshed through the cookie flow before it expires
// or once when refused as expired, and without the API's session cookie no request is made
// that is bound to fail.
import t from 'tap'
import { changePassword, currentUser, deleteAccount, hasSessionCookie, restore, signIn, signOut, signOutEverywhere } from '../src/session.js'

interface Seen { method: string, path: string, headers: Record<string, string>, body: unknown, credentials: string | undefined }
type Reply = [number, Record<string, unknown>]

/** document.cookie as a browser keeps it: `name=value` pairs; Max-Age=0 removes one. */
class CookieJar {
  readonly #cookies = new Map<string, string>()
  get cookie (): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  set cookie (text: string) {
    const [pair = '', ...attributes] = text.split(';')
    const [name = '', value = ''] = pair.split('=')
    if (attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute))) this.#cookies.delete(name.trim())
    else this.#cookies.set(name.trim(), value)
  }
}
const jar = new CookieJar()
Object.assign(globalThis, { document: jar })
const withSessionCookie = (): void => { jar.cookie = 'latchkey_session=1; Path=/' }
const withoutSessionCookie = (): void => { jar.cookie = 'latchkey_session=; Max-Age=0' }

const user = { id: 'u1', email: 'a@b.co', activated: true, roles: ['user'], created_at: '2026-01-01T00:00:00.000Z' }
const tokens = (n: number, expiresIn = 900): Record<string, unknown> => ({ status: 'success', message: 'ok', access_token: `access-${n}`, token_type: 'Bearer', expires_in: expiresIn })
const done = (message: string): Record<string, unknown> => ({ status: 'success', message })
const failure = (code: string): Record<string, unknown> => ({ status: 'error', code, message: code })

/** Replaces fetch with a script of replies; returns what the page sent. */
function script (t: { teardown: (fn: () => void) => void }, replies: Reply[]): Seen[] {
  const seen: Seen[] = []
  const original = globalThis.fetch
  globalThis.fetch = (async (path: string, init: RequestInit) => {
    const body = typeof init.body === 'string' ? JSON.parse(init.body) as unknown : undefined
    seen.push({ method: init.method ?? 'GET', path, headers: init.headers as Record<string, string>, body, credentials: init.credentials })
    const reply = replies.shift()
    if (reply === undefined) throw new Error(`unexpected ${init.method} ${path}`)
    return new Response(JSON.stringify(reply[1]), { status: reply[0], headers: { 'content-type': 'application/json' } })
  }) as typeof fetch
  t.teardown(() => { globalThis.fetch = original })
  return seen
}

t.test('sign in asks for the cookie transport and keeps the access token in memory', async (t) => {
  withSessionCookie()
  const seen = script(t, [[200, tokens(1)], [200, { status: 'success', user }]])
  await signIn({ email: 'a@b.co', password: 'long enough' })
  t.same(await currentUser(), user)
  t.match(seen[0], { method: 'POST', path: '/login', credentials: 'same-origin', headers: { 'X-Token-Transport': 'cookie' } })
  t.match(seen[1], { method: 'GET', path: '/me', headers: { Authorization: 'Bearer access-1' } })
})

t.test('an access token refused as expired is refreshed once, then the request is repeated', async (t) => {
  const seen = script(t, [[401, failure('TOKEN_EXPIRED')], [200, tokens(2)], [200, { status: 'success', user }]])
  t.same(await currentUser(), user)
  t.same(seen.map((s) => s.path), ['/me', '/token/refresh', '/me'])
  t.match(seen[1], { method: 'POST', headers: { 'X-Token-Transport': 'cookie' }, credentials: 'same-origin' })
  t.equal(seen[2]!.headers['Authorization'], 'Bearer access-2')
})

t.test('a refused refresh ends the session without a loop, and drops the session cookie', async (t) => {
  const seen = script(t, [[401, failure('TOKEN_EXPIRED')], [401, failure('REFRESH_REUSED')]])
  await t.rejects(currentUser(), { code: 'TOKEN_EXPIRED' })
  t.same(seen.map((s) => s.path), ['/me', '/token/refresh'])
  t.notOk(hasSessionCookie(), 'the next visit will not ask again')
})

t.test('without the session cookie: not signed in, and no request at all', async (t) => {
  withoutSessionCookie()
  const seen = script(t, [])
  await t.rejects(currentUser(), { code: 'TOKEN_MISSING' })
  await signOut()
  t.same(seen, [], 'neither /token/refresh nor /logout is called')
})

t.test('a session cookie the API no longer knows: not signed in, cookie dropped', async (t) => {
  withSessionCookie()
  script(t, [[400, failure('REFRESH_TOKEN_MISSING')]])
  t.equal(await restore(), false)
  t.notOk(hasSessionCookie())
})

t.test('a busy server says nothing about the session: the cookie stays', async (t) => {
  withSessionCookie()
  script(t, [[429, failure('RATE_LIMITED')]])
  await t.rejects(restore(), { code: 'RATE_LIMITED' })
  t.ok(hasSessionCookie())
})

t.test('parallel restores share one refresh (a refresh token works once)', async (t) => {
  withSessionCookie()
  const seen = script(t, [[200, tokens(3)]])
  t.same(await Promise.all([restore(), restore()]), [true, true])
  t.equal(seen.length, 1)
})

t.test('a token about to expire is refreshed before the request, so none is refused', async (t) => {
  withSessionCookie()
  const seen = script(t, [[200, tokens(4, 10)], [200, tokens(5)], [200, { status: 'success', user }]])
  await signIn({ email: 'a@b.co', password: 'long enough' })
  t.same(await currentUser(), user)
  t.same(seen.map((s) => s.path), ['/login', '/token/refresh', '/me'])
  t.equal(seen[2]!.headers['Authorization'], 'Bearer access-5')
})

t.test('signing out forgets the token and asks the API to clear the cookies', async (t) => {
  withSessionCookie()
  const seen = script(t, [[200, done('Signed out.')]])
  await signOut()
  t.match(seen[0], { method: 'POST', path: '/logout', headers: { 'X-Token-Transport': 'cookie' } })
  withoutSessionCookie() // as the API's answer would
  await t.rejects(currentUser(), { code: 'TOKEN_MISSING' })
})

t.test('a sign-out whose refresh cookie is already gone counts as signed out', async (t) => {
  withSessionCookie()
  script(t, [[400, failure('REFRESH_TOKEN_MISSING')]])
  await signOut()
})

t.test('changing the password sends both passwords with the cookie transport, and this browser is signed out', async (t) => {
  withSessionCookie()
  const seen = script(t, [[200, tokens(6)], [200, done('Password changed.')]])
  await signIn({ email: 'a@b.co', password: 'old password' })
  t.equal(await changePassword('old password', 'new password'), 'Password changed.')
  t.match(seen[1], { method: 'POST', path: '/me/password', headers: { Authorization: 'Bearer access-6', 'X-Token-Transport': 'cookie' }, body: { current_password: 'old password', new_password: 'new password' } })
  t.equal(seen.length, 2, 'the API cleared the cookies itself: no further request')
  t.notOk(hasSessionCookie())
  await t.rejects(currentUser(), { code: 'TOKEN_MISSING' }, 'the access token is forgotten')
})

t.test('a refused password change keeps the session', async (t) => {
  withSessionCookie()
  const seen = script(t, [[200, tokens(7)], [401, failure('INVALID_PASSWORD')], [200, { status: 'success', user }]])
  await signIn({ email: 'a@b.co', password: 'old password' })
  await t.rejects(changePassword('wrong', 'new password'), { code: 'INVALID_PASSWORD' })
  t.same(await currentUser(), user)
  t.equal(seen[2]!.headers['Authorization'], 'Bearer access-7')
})

t.test('deleting the account sends the password with the access token', async (t) => {
  withSessionCookie()
  const seen = script(t, [[200, tokens(9)], [200, done('Your account is deleted.')]])
  await signIn({ email: 'a@b.co', password: 'the password' })
  await deleteAccount('the password')
  t.match(seen[1], { method: 'DELETE', path: '/me', headers: { Authorization: 'Bearer access-9', 'X-Token-Transport': 'cookie' }, body: { password: 'the password' } })
  t.equal(seen.length, 2, 'no further request')
  t.notOk(hasSessionCookie(), 'the next visit does not try to resume a deleted account')
})

t.test('signing out everywhere sends the access token and the cookie transport, then forgets the token', async (t) => {
  withSessionCookie()
  const seen = script(t, [[200, tokens(10)], [200, done('Signed out of every session.')]])
  await signIn({ email: 'a@b.co', password: 'the password' })
  t.equal(await signOutEverywhere(), 'Signed out of every session.')
  t.match(seen[1], { method: 'POST', path: '/logout?scope=global', headers: { Authorization: 'Bearer access-10', 'X-Token-Transport': 'cookie' } })
  withoutSessionCookie()
  await t.rejects(currentUser(), { code: 'TOKEN_MISSING' }, 'nothing left in memory')
})
