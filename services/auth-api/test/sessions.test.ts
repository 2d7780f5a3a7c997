import { createHmac, createPublicKey, generateKeyPairSync } from 'node:crypto'
import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose'
import t from 'tap'
import { activeAccount, bearer, build, captureEvents, form, login, register, uniqueName } from './helper.js'

function claimsOf (token: string): { sid: string, sub: string } {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())
}

t.test('sign-in and tokens', async (t) => {
  const databaseName = uniqueName('authapi_sessions')
  const { app, config, clock } = await build(t, {}, databaseName)
  const events = await captureEvents(t, config.EVENTS_EXCHANGE)
  const alice = await activeAccount(app, events, 'alice@example.com')

  t.test('login gives a Bearer JWT and a refresh token; the JWKS verifies it with an independent library', async (t) => {
    const response = await login(app, alice.email)
    t.equal(response.statusCode, 200)
    const body = response.json()
    t.match(body, { status: 'success', token_type: 'Bearer', expires_in: 900, access_token: String, refresh_token: String })
    const jwks = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })
    t.equal(jwks.statusCode, 200)
    t.match(jwks.json().keys[0], { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: String })
    t.notOk('d' in jwks.json().keys[0], 'no private part is published')
    const { payload, protectedHeader } = await jwtVerify(body.access_token, createLocalJWKSet(jwks.json()), {
      issuer: config.PUBLIC_URL, audience: config.JWT_AUDIENCE, algorithms: ['EdDSA']
    })
    t.equal(protectedHeader.alg, 'EdDSA')
    t.equal(protectedHeader.kid, jwks.json().keys[0].kid)
    t.match(payload, { sub: String, sid: String, email: alice.email, roles: ['user'], iat: Number, exp: Number, jti: String })
    t.equal(payload.exp! - payload.iat!, 900)
  })

  t.test('login accepts form bodies too', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/login', ...form({ email: 'ALICE@example.com', password: alice.password }) })
    t.equal(response.statusCode, 200)
  })

  t.test('wrong credentials: 401; unknown emails pay for argon2 too', async (t) => {
    const wrong = await login(app, alice.email, 'not-the-password')
    t.equal(wrong.statusCode, 401)
    t.equal(wrong.json().code, 'INVALID_CREDENTIALS')
    const verify = app.passwords.verify
    const seen: Array<string | undefined> = []
    app.passwords.verify = async (hash, password) => { seen.push(hash); return await verify(hash, password) }
    t.teardown(() => { app.passwords.verify = verify })
    const unknown = await login(app, 'nobody@example.com')
    t.equal(unknown.statusCode, 401)
    t.same(unknown.json(), wrong.json(), 'the same answer as a wrong password')
    t.same(seen, [undefined])
  })

  t.test('an account not activated gets 403 ACCOUNT_NOT_ACTIVATED, but only with the right password', async (t) => {
    await register(app, 'pending@example.com', 'testpassword')
    t.equal((await login(app, 'pending@example.com', 'wrong-password')).statusCode, 401)
    const response = await login(app, 'pending@example.com')
    t.equal(response.statusCode, 403)
    t.equal(response.json().code, 'ACCOUNT_NOT_ACTIVATED')
  })

  t.test('GET /me with the token; without or with a bad one, 401', async (t) => {
    const { access_token: token } = (await login(app, alice.email)).json()
    const me = await app.inject({ method: 'GET', url: '/me', headers: bearer(token) })
    t.equal(me.statusCode, 200)
    t.match(me.json(), { status: 'success', user: { email: alice.email, activated: true, roles: ['user'], status: 'active', created_at: String } })
    const missing = await app.inject({ method: 'GET', url: '/me' })
    t.equal(missing.statusCode, 401)
    t.equal(missing.json().code, 'TOKEN_MISSING')
  })

  t.test('hostile tokens are refused with 401', async (t) => {
    const good: string = (await login(app, alice.email)).json().access_token
    const [header, payload] = good.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
    const kid = JSON.parse(Buffer.from(header, 'base64url').toString()).kid
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const publicPem = app.signingKeys.current().publicKeyPem
    const now = Math.floor(Date.now() / 1000)
    const { privateKey: strangerKey } = generateKeyPairSync('ed25519')
    const signWith = async (key: import('node:crypto').KeyObject, extra: object, headerExtra: object = {}) =>
      await new SignJWT({ ...claims, ...extra }).setProtectedHeader({ alg: 'EdDSA', kid, ...headerExtra }).sign(key)
    const ownKey = (await import('node:crypto')).createPrivateKey(app.signingKeys.current().privateKeyPem)
    const hs256 = (secret: string) => {
      const head = b64({ alg: 'HS256', typ: 'JWT', kid })
      const body = b64(claims)
      return `${head}.${body}.${createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url')}`
    }
    const cases: Record<string, string> = {
      'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
      'HS256 signed with the public key (key confusion)': hs256(publicPem),
      'HS256 signed with the public JWK': hs256(JSON.stringify(createPublicKey(publicPem).export({ format: 'jwk' }))),
      expired: await signWith(ownKey, { iat: now - 3600, exp: now - 1800 }),
      'wrong iss': await signWith(ownKey, { iss: 'https://evil.example' }),
      'wrong aud': await signWith(ownKey, { aud: 'someone-else' }),
      'no exp': await new SignJWT({ ...claims, exp: undefined }).setProtectedHeader({ alg: 'EdDSA', kid }).sign(ownKey),
      'tampered payload': `${header}.${b64({ ...claims, roles: ['admin'] })}.${good.split('.')[2]}`,
      'signature stripped': `${header}.${payload}.`,
      'unknown kid': await signWith(ownKey, {}, { kid: 'no-such-key' }),
      'kid path injection': await signWith(ownKey, {}, { kid: '../../etc/passwd' }),
      'signed by a stranger': await signWith(strangerKey, {}),
      'issued an hour in the future': await signWith(ownKey, { iat: now + 3600, exp: now + 3600 + 900 }),
      'no session id': await signWith(ownKey, { sid: undefined }),
      'two segments': `${header}.${payload}`,
      garbage: 'not.a.token'
    }
    for (const [name, token] of Object.entries(cases)) {
      const response = await app.inject({ method: 'GET', url: '/me', headers: bearer(token) })
      t.equal(response.statusCode, 401, name)
      t.match(response.json(), { status: 'error', code: /^TOKEN_/ }, name)
    }
  })

  t.test('refresh rotates; a used refresh token coming back later revokes its session', async (t) => {
    const first = (await login(app, alice.email)).json()
    const rotated = await app.inject({ method: 'POST', url: '/token/refresh', payload: { refresh_token: first.refresh_token } })
    t.equal(rotated.statusCode, 200)
    const second = rotated.json()
    t.not(second.refresh_token, first.refresh_token)
    t.equal((await app.inject({ method: 'GET', url: '/me', headers: bearer(second.access_token) })).statusCode, 200)

    clock.advance(config.REFRESH_REUSE_INTERVAL_SECONDS + 1)
    const reuse = await app.inject({ method: 'POST', url: '/token/refresh', payload: { refresh_token: first.refresh_token } })
    t.equal(reuse.statusCode, 401)
    t.equal(reuse.json().code, 'REFRESH_REUSED')
    const afterTheft = await app.inject({ method: 'POST', url: '/token/refresh', payload: { refresh_token: second.refresh_token } })
    t.equal(afterTheft.statusCode, 401, 'the newest token of the session is revoked too')
    t.equal(afterTheft.json().code, 'REFRESH_INVALID')
    const meAfterTheft = await app.inject({ method: 'GET', url: '/me', headers: bearer(second.access_token) })
    t.equal(meAfterTheft.json().code, 'TOKEN_REVOKED', 'and so is its access token')
    const revoked = await events.next((m) => m.routingKey === 'user.session_revoked' && m.event.data.reason === 'refresh_reused')
    t.same(revoked.event.data.sessionIds, [JSON.parse(Buffer.from(second.access_token.split('.')[1], 'base64url').toString()).sid], 'announced with the session id')

    const other = (await login(app, alice.email)).json()
    t.equal((await app.inject({ method: 'POST', url: '/token/refresh', payload: { refresh_token: other.refresh_token } })).statusCode, 200, 'other sign-ins are untouched')
  })

  t.test('two tabs refreshing at once both get the same successor, and the session survives', async (t) => {
    const { refresh_token: token } = (await login(app, alice.email)).json()
    const responses = await Promise.all(Array.from({ length: 6 }, async () => await app.inject({ method: 'POST', url: '/token/refresh', payload: { refresh_token: token } })))
    t.same(responses.map((r) => r.statusCode), [200, 200, 200, 200, 200, 200])
    const successors = new Set(responses.map((r) => r.json().refresh_token))
    t.equal(successors.size, 1, 'one successor for all of them')
    const next = await app.inject({ method: 'POST', url: '/token/refresh', payload: { refresh_token: [...successors][0] } })
    t.equal(next.statusCode, 200, 'the successor works')
    t.equal((await app.inject({ method: 'GET', url: '/me', headers: bearer(next.json().access_token) })).statusCode, 200)
  })

  t.test('refresh and logout: bad input', async (t) => {
    const missing = await app.inject({ method: 'POST', url: '/token/refresh' })
    t.equal(missing.statusCode, 400)
    t.equal(missing.json().code, 'REFRESH_TOKEN_MISSING')
    const unknown = await app.inject({ method: 'POST', url: '/token/refresh', payload: { refresh_token: 'made-up' } })
    t.equal(unknown.statusCode, 401)
    t.equal(unknown.json().code, 'REFRESH_INVALID')
  })

  t.test('logout ends the session: its refresh token and its access token stop working at once', async (t) => {
    const session = (await login(app, alice.email)).json()
    const other = (await login(app, alice.email)).json()
    t.equal((await app.inject({ method: 'POST', url: '/logout', payload: { refresh_token: session.refresh_token } })).statusCode, 200)
    t.equal((await app.inject({ method: 'POST', url: '/token/refresh', payload: { refresh_token: session.refresh_token } })).statusCode, 401)
    const me = await app.inject({ method: 'GET', url: '/me', headers: bearer(session.access_token) })
    t.equal(me.statusCode, 401, 'the access token of the ended session is refused')
    t.equal(me.json().code, 'TOKEN_REVOKED')
    t.equal((await app.inject({ method: 'GET', url: '/me', headers: bearer(other.access_token) })).statusCode, 200, 'other sessions go on')
    t.equal((await app.inject({ method: 'POST', url: '/logout', payload: { refresh_token: session.refresh_token } })).statusCode, 200, 'idempotent')
    const event = await events.next((m) => m.routingKey === 'user.session_revoked' && m.event.data.reason === 'logout')
    t.same(event.event.data.sessionIds, [claimsOf(session.access_token).sid], 'user.session_revoked names the session')
  })

  t.test('logout?scope=global ends every session of the account', async (t) => {
    const first = (await login(app, alice.email)).json()
    const second = (await login(app, alice.email)).json()
    const unauthenticated = await app.inject({ method: 'POST', url: '/logout?scope=global', payload: {} })
    t.equal(unauthenticated.statusCode, 401, 'it needs the access token')
    t.equal(unauthenticated.json().code, 'TOKEN_MISSING')
    const out = await app.inject({ method: 'POST', url: '/logout?scope=global', headers: bearer(first.access_token), payload: {} })
    t.equal(out.statusCode, 200, out.body)
    for (const session of [first, second]) {
      t.equal((await app.inject({ method: 'GET', url: '/me', headers: bearer(session.access_token) })).statusCode, 401)
      t.equal((await app.inject({ method: 'POST', url: '/token/refresh', payload: { refresh_token: session.refresh_token } })).statusCode, 401)
    }
    const event = await events.next((m) => m.routingKey === 'user.session_revoked' && m.event.data.reason === 'logout_everywhere')
    t.ok(event.event.data.sessionIds.includes(claimsOf(second.access_token).sid))
  })

  t.test('an account keeps at most MAX_SESSIONS_PER_ACCOUNT sign-ins; the oldest ends first', async (t) => {
    const limited = await build(t, { MAX_SESSIONS_PER_ACCOUNT: '3', EVENTS_EXCHANGE: config.EVENTS_EXCHANGE }, databaseName)
    const bob = await activeAccount(limited.app, events, 'bob.sessions@example.com')
    const sessions = []
    for (let i = 0; i < 4; i++) sessions.push((await login(limited.app, bob.email)).json())
    const meWith = async (token: string) => (await limited.app.inject({ method: 'GET', url: '/me', headers: bearer(token) })).statusCode
    t.equal(await meWith(sessions[0].access_token), 401, 'the oldest ended')
    t.same(await Promise.all(sessions.slice(1).map(async (s) => await meWith(s.access_token))), [200, 200, 200])
    t.equal((await limited.app.accounts.byEmail(bob.email))?.sessions && Object.keys((await limited.app.accounts.byEmail(bob.email))!.sessions).length, 3)
  })

  t.test('introspection (RFC 7662) tells registered services whether a token still works', async (t) => {
    const secret = 'introspection-secret-'.padEnd(40, 'x')
    const api = await build(t, { INTROSPECTION_CLIENTS: `billing:${secret}`, EVENTS_EXCHANGE: config.EVENTS_EXCHANGE }, databaseName)
    const client = `Basic ${Buffer.from(`billing:${secret}`).toString('base64')}`
    const introspect = async (token: string, authorization = client) => await api.app.inject({
      method: 'POST', url: '/oauth/introspect', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ token }).toString()
    })
    const session = (await login(api.app, alice.email)).json()
    const refused = await introspect(session.access_token, `Basic ${Buffer.from('billing:wrong').toString('base64')}`)
    t.equal(refused.statusCode, 401)
    t.equal(refused.json().code, 'INVALID_CLIENT')
    t.match(refused.headers['www-authenticate'], /^Basic/)
    const active = await introspect(session.access_token)
    t.equal(active.statusCode, 200)
    t.match(active.json(), { active: true, token_type: 'Bearer', sub: String, sid: claimsOf(session.access_token).sid, username: alice.email, client_id: 'billing' })
    t.match((await introspect(session.refresh_token)).json(), { active: true, token_type: 'refresh_token' })
    await api.app.inject({ method: 'POST', url: '/logout', payload: { refresh_token: session.refresh_token } })
    t.same((await introspect(session.access_token)).json(), { active: false }, 'inactive once its session ended')
    t.same((await introspect(session.refresh_token)).json(), { active: false })
    t.same((await introspect('not-a-token')).json(), { active: false })
  })

  t.test('the browser flow keeps the refresh token in an HttpOnly, Secure, SameSite=Strict cookie', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/login', headers: { 'x-token-transport': 'cookie' }, payload: { email: alice.email, password: alice.password } })
    t.equal(response.statusCode, 200)
    t.notOk('refresh_token' in response.json(), 'not in the body')
    const cookie = response.cookies.find((c) => c.name === '__Host-latchkey_refresh')
    t.ok(cookie, 'cookie set')
    t.match(cookie, { httpOnly: true, secure: true, sameSite: 'Strict', path: '/' })
    const withoutHeader = await app.inject({ method: 'POST', url: '/token/refresh', cookies: { '__Host-latchkey_refresh': cookie!.value } })
    t.equal(withoutHeader.statusCode, 400, 'the cookie alone is not enough: a cross-site form cannot set the header')
    const refreshed = await app.inject({ method: 'POST', url: '/token/refresh', headers: { 'x-token-transport': 'cookie' }, cookies: { '__Host-latchkey_refresh': cookie!.value } })
    t.equal(refreshed.statusCode, 200)
    const rotated = refreshed.cookies.find((c) => c.name === '__Host-latchkey_refresh')
    t.not(rotated?.value, cookie!.value)
    t.match(response.cookies.find((c) => c.name === 'latchkey_session'), { value: '1', httpOnly: undefined, secure: true, sameSite: 'Strict' }, 'a readable hint that a session exists, without any secret')
    const out = await app.inject({ method: 'POST', url: '/logout', headers: { 'x-token-transport': 'cookie' }, cookies: { '__Host-latchkey_refresh': rotated!.value } })
    t.equal(out.statusCode, 200)
    t.match(out.cookies.find((c) => c.name === '__Host-latchkey_refresh'), { value: '' })
    t.match(out.cookies.find((c) => c.name === 'latchkey_session'), { value: '' })
    const refused = await app.inject({ method: 'POST', url: '/token/refresh', headers: { 'x-token-transport': 'cookie' }, cookies: { '__Host-latchkey_refresh': rotated!.value } })
    t.equal(refused.json().code, 'REFRESH_INVALID')
    t.match(refused.cookies.find((c) => c.name === '__Host-latchkey_refresh'), { value: '' }, 'a refused refresh clears the cookies, so the page stops trying')
    t.match(refused.cookies.find((c) => c.name === 'latchkey_session'), { value: '' })
  })

  t.test('a token signed by another replica (same keys directory) is accepted', async (t) => {
    const other = await build(t, { JWT_KEYS_DIR: config.JWT_KEYS_DIR, EVENTS_EXCHANGE: config.EVENTS_EXCHANGE }, databaseName)
    const { access_token: token } = (await login(app, alice.email)).json()
    t.equal(other.app.signingKeys.current().kid, app.signingKeys.current().kid, 'replicas agree on the key')
    t.equal((await other.app.inject({ method: 'GET', url: '/me', headers: bearer(token) })).statusCode, 200)

    await other.app.signingKeys.rotate(new Date())
    const fromRotated = (await other.app.inject({ method: 'POST', url: '/login', payload: { email: alice.email, password: alice.password } })).json().access_token
    t.equal((await app.inject({ method: 'GET', url: '/me', headers: bearer(fromRotated) })).statusCode, 200, 'a key another replica just added is picked up on first sight')
  })

  t.test('key rotation: the old public key stays published and valid until its tokens expire', async (t) => {
    const before = (await login(app, alice.email)).json().access_token
    const oldKid = app.signingKeys.current().kid
    await app.signingKeys.rotate(new Date())
    const after = (await login(app, alice.email)).json().access_token
    const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid
    t.not(kidOf(after), oldKid, 'new tokens use the new key')
    const kids = (await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys.map((k: { kid: string }) => k.kid)
    t.ok(kids.includes(oldKid) && kids.includes(kidOf(after)), 'both keys published')
    t.equal((await app.inject({ method: 'GET', url: '/me', headers: bearer(before) })).statusCode, 200, 'tokens of the old key still work')
    t.ok(app.signingKeys.published(new Date(Date.now() + 901_000)).some((k) => k.kid === oldKid), 'kept a little past a token lifetime: other replicas may still sign with it until they reload')
    t.same(app.signingKeys.published(new Date(Date.now() + 961_000)).map((k) => k.kid), [kidOf(after)], 'then withdrawn')
  })
})
