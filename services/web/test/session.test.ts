// The session logic against a scripted fetch: the access token stays in memory, an expired
// one is refreshed once through the cookie flow, and a missing cookie means "not signed in".
import t from 'tap'
import { currentUser, restore, signIn, signOut } from '../src/session.js'

interface Seen { method: string, path: string, headers: Record<string, string>, credentials: string | undefined }
type Reply = [number, Record<string, unknown>]

const user = { id: 'u1', email: 'a@b.co', activated: true, roles: ['user'], created_at: '2026-01-01T00:00:00.000Z' }
const tokens = (n: number): Record<string, unknown> => ({ status: 'success', message: 'ok', access_token: `access-${n}`, token_type: 'Bearer', expires_in: 900 })
const failure = (code: string): Record<string, unknown> => ({ status: 'error', code, message: code })

/** Replaces fetch with a script of replies; returns what the page sent. */
function script (t: { teardown: (fn: () => void) => void }, replies: Reply[]): Seen[] {
  const seen: Seen[] = []
  const original = globalThis.fetch
  globalThis.fetch = (async (path: string, init: RequestInit) => {
    seen.push({ method: init.method ?? 'GET', path, headers: init.headers as Record<string, string>, credentials: init.credentials })
    const reply = replies.shift()
    if (reply === undefined) throw new Error(`unexpected ${init.method} ${path}`)
    return new Response(JSON.stringify(reply[1]), { status: reply[0], headers: { 'content-type': 'application/json' } })
  }) as typeof fetch
  t.teardown(() => { globalThis.fetch = original })
  return seen
}

t.test('sign in asks for the cookie transport and keeps the access token in memory', async (t) => {
  const seen = script(t, [[200, tokens(1)], [200, { status: 'success', user }]])
  await signIn({ email: 'a@b.co', password: 'long enough' })
  t.same(await currentUser(), user)
  t.match(seen[0], { method: 'POST', path: '/login', credentials: 'same-origin', headers: { 'X-Token-Transport': 'cookie' } })
  t.match(seen[1], { method: 'GET', path: '/me', headers: { Authorization: 'Bearer access-1' } })
})

t.test('an expired access token is refreshed once, then /me is asked again', async (t) => {
  const seen = script(t, [[401, failure('TOKEN_EXPIRED')], [200, tokens(2)], [200, { status: 'success', user }]])
  t.same(await currentUser(), user)
  t.same(seen.map((s) => s.path), ['/me', '/token/refresh', '/me'])
  t.match(seen[1], { method: 'POST', headers: { 'X-Token-Transport': 'cookie' }, credentials: 'same-origin' })
  t.equal(seen[2]!.headers['Authorization'], 'Bearer access-2')
})

t.test('a refused refresh ends the session without a loop', async (t) => {
  const seen = script(t, [[401, failure('TOKEN_EXPIRED')], [401, failure('REFRESH_REUSED')]])
  await t.rejects(currentUser(), { code: 'TOKEN_EXPIRED' })
  t.same(seen.map((s) => s.path), ['/me', '/token/refresh'])
})

t.test('no cookie on page load: not signed in', async (t) => {
  script(t, [[400, failure('REFRESH_TOKEN_MISSING')]])
  t.equal(await restore(), false)
})

t.test('parallel restores share one refresh (a refresh token works once)', async (t) => {
  const seen = script(t, [[200, tokens(3)]])
  t.same(await Promise.all([restore(), restore()]), [true, true])
  t.equal(seen.length, 1)
})

t.test('signing out forgets the token, and a missing cookie counts as signed out', async (t) => {
  const seen = script(t, [[400, failure('REFRESH_TOKEN_MISSING')], [400, failure('REFRESH_TOKEN_MISSING')]])
  await signOut()
  t.match(seen[0], { method: 'POST', path: '/logout', headers: { 'X-Token-Transport': 'cookie' } })
  await t.rejects(currentUser(), { code: 'TOKEN_MISSING' }, 'no token left in memory: it asks the cookie, which is gone')
})
