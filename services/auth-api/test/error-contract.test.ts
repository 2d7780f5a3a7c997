// The answers every guarded route shares, tried on each route the OpenAPI document lists, so
// that no route documents a refusal it cannot give (the tap `after` check holds the suite to it).
import { createPrivateKey } from 'node:crypto'
import { SignJWT } from 'jose'
import t from 'tap'
import { activeAccount, basic, bearer, build, captureEvents, login, usersOf } from './helper.js'

interface Operation {
  security?: Array<Record<string, unknown>>
}

type Method = 'GET' | 'POST' | 'DELETE'

t.test('every route answers the refusals it documents', async (t) => {
  const { app, config } = await build(t)
  const events = await captureEvents(t, config.EVENTS_EXCHANGE)
  const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, Operation>> }
  const bearerRoutes = Object.entries(spec.paths).flatMap(([path, operations]) => Object.entries(operations)
    .filter(([, operation]) => operation.security?.some((requirement) => 'bearerAuth' in requirement))
    .map(([method, operation]) => ({
      method: method.toUpperCase() as Method,
      // Optional security ({}) means the bearer token is asked for only in the global scope.
      url: path.replace('{id}', 'some-account-id') + (operation.security?.some((requirement) => Object.keys(requirement).length === 0) ? '?scope=global' : '')
    })))
  t.ok(bearerRoutes.length >= 7, `${bearerRoutes.length} routes need an access token`)

  const member = await activeAccount(app, events, 'member@example.com')
  const session = (await login(app, member.email)).json()
  const ended = (await login(app, member.email)).json()
  await app.inject({ method: 'POST', url: '/logout', payload: { refresh_token: ended.refresh_token } })
  const signingKey = app.signingKeys.current()
  const expired = await new SignJWT({ sub: 'x', sid: 'y', email: member.email, roles: ['admin'], jti: 'z' })
    .setProtectedHeader({ alg: 'EdDSA', kid: signingKey.kid })
    .setIssuer(config.PUBLIC_URL).setAudience(config.JWT_AUDIENCE).setIssuedAt(Math.floor(Date.now() / 1000) - 3600).setExpirationTime(Math.floor(Date.now() / 1000) - 1800)
    .sign(createPrivateKey(signingKey.privateKeyPem))
  const tokens: Array<[string, Record<string, string>]> = [
    ['TOKEN_MISSING', {}],
    ['TOKEN_INVALID', bearer('not.a.token')],
    ['TOKEN_EXPIRED', bearer(expired)],
    ['TOKEN_REVOKED', bearer(ended.access_token)]
  ]
  for (const { method, url } of bearerRoutes) {
    for (const [code, headers] of tokens) {
      const response = await app.inject({ method, url, headers, payload: {} })
      t.equal(response.json().code, code, `${method} ${url}: ${code}`)
      // RFC 6750: the Bearer challenge, with invalid_token once a token was sent.
      const challenge = code === 'TOKEN_MISSING' ? 'Bearer realm="latchkey"' : `Bearer realm="latchkey", error="invalid_token", error_description="${response.json().message as string}"`
      t.equal(response.headers['www-authenticate'], challenge, `${method} ${url}: ${code} challenges`)
    }
    if (url.startsWith('/admin/')) {
      const forbidden = await app.inject({ method, url, headers: bearer(session.access_token), payload: {} })
      t.equal(forbidden.json().code, 'FORBIDDEN', `${method} ${url}: FORBIDDEN for a member`)
    }
  }

  t.test('routes that set a password refuse one that is too short, too long or too common', async (t) => {
    const fresh = (await login(app, member.email)).json()
    const routes: Array<{ url: string, body: (password: string) => Record<string, string>, headers?: Record<string, string> }> = [
      { url: '/register', body: (password) => ({ email: 'newcomer@example.com', password }) },
      { url: '/me/password', body: (password) => ({ current_password: member.password, new_password: password }), headers: bearer(fresh.access_token) },
      { url: '/password/reset', body: (password) => ({ email: member.email, code: '12345678', new_password: password }) }
    ]
    for (const { url, body, headers } of routes) {
      for (const [password, code] of [['short', 'PASSWORD_TOO_SHORT'], ['x'.repeat(300), 'PASSWORD_TOO_LONG'], ['password1', 'PASSWORD_TOO_COMMON']]) {
        const response = await app.inject({ method: 'POST', url, payload: body(password!), ...(headers ? { headers } : {}) })
        t.equal(response.json().code, code, `${url}: ${code}`)
      }
    }
  })

  t.test('a locked address is refused on every route that proves its password anonymously', async (t) => {
    const locked = await activeAccount(app, events, 'locked.routes@example.com')
    for (let i = 0; i < config.LOCKOUT_THRESHOLD; i++) await login(app, locked.email, `wrong-${i}-password`)
    const routes: Array<{ method: Method, url: string, payload: Record<string, string>, headers?: Record<string, string> }> = [
      { method: 'POST', url: '/login', payload: { email: locked.email, password: locked.password } },
      { method: 'POST', url: '/verify', payload: { verification_code: '1234' }, headers: { authorization: basic(locked.email, locked.password) } },
      { method: 'POST', url: '/verify/resend', payload: {}, headers: { authorization: basic(locked.email, locked.password) } }
    ]
    for (const { method, url, payload, headers } of routes) {
      const response = await app.inject({ method, url, payload, ...(headers ? { headers } : {}) })
      t.equal(response.json().code, 'ACCOUNT_LOCKED', `${method} ${url}`)
      t.ok(Number(response.headers['retry-after']) > 0, `${method} ${url}: Retry-After`)
    }
  })

  t.test('the owner\'s own confirmations lock on the account, apart from the anonymous pool', async (t) => {
    const owner = await activeAccount(app, events, 'confirming.owner@example.com')
    const token = (await login(app, owner.email)).json().access_token
    for (let i = 0; i < config.LOCKOUT_THRESHOLD; i++) await login(app, owner.email, `wrong-${i}-password`)
    t.equal((await login(app, owner.email)).json().code, 'ACCOUNT_LOCKED', 'strangers locked the address')
    for (let i = 0; i < config.LOCKOUT_THRESHOLD; i++) {
      t.equal((await app.inject({ method: 'DELETE', url: '/me', payload: { password: `not-it-${i}` }, headers: bearer(token) })).json().code, 'INVALID_PASSWORD')
    }
    const routes: Array<{ method: Method, url: string, payload: Record<string, string> }> = [
      { method: 'POST', url: '/me/password', payload: { current_password: owner.password, new_password: 'a-new-long-passphrase' } },
      { method: 'DELETE', url: '/me', payload: { password: owner.password } }
    ]
    for (const { method, url, payload } of routes) {
      const response = await app.inject({ method, url, payload, headers: bearer(token) })
      t.equal(response.json().code, 'ACCOUNT_LOCKED', `${method} ${url}`)
      t.ok(Number(response.headers['retry-after']) > 0, `${method} ${url}: Retry-After`)
    }
  })

  t.test('the rest, one by one', async (t) => {
    t.equal((await app.inject({ method: 'POST', url: '/logout', payload: {} })).json().code, 'REFRESH_TOKEN_MISSING')
    t.equal((await app.inject({ method: 'POST', url: '/password/forgot', payload: { email: 'not-an-address' } })).json().code, 'EMAIL_INVALID')
    t.equal((await app.inject({ method: 'POST', url: '/password/reset', payload: { email: member.email, new_password: 'a-new-long-passphrase' } })).json().code, 'CODE_MISSING')
    t.equal((await app.inject({ method: 'POST', url: '/password/reset', payload: { email: member.email, code: '12', new_password: 'a-new-long-passphrase' } })).json().code, 'CODE_MALFORMED')
    const admin = await activeAccount(app, events, 'chief.contract@example.com')
    await usersOf(app).updateOne({ email: admin.email }, { $set: { roles: ['user', 'admin'] } })
    const adminToken = (await login(app, admin.email)).json().access_token
    t.equal((await app.inject({ method: 'POST', url: '/admin/users/no-such-id/enable', headers: bearer(adminToken) })).json().code, 'USER_NOT_FOUND')
  })
})
