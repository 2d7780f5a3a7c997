import { randomUUID } from 'node:crypto'
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { activeAccount, bearer, build, captureEvents, login, register, uniqueName } from './helper.js'
import { setPassword } from '../src/credentials/set-password.js'
import { requestContext } from '../src/events/outbox.js'

const DEVICE_COOKIE = '__Host-latchkey_device'

function deviceCookieOf (response: LightMyRequestResponse): string {
  const cookie = response.cookies.find((c) => c.name === DEVICE_COOKIE)
  if (!cookie) throw new Error(`no device cookie in ${response.statusCode} ${response.body}`)
  return cookie.value
}

t.test('device cookies: strangers cannot lock the owner out of a browser they used before', async (t) => {
  const { app, config } = await build(t)
  const events = await captureEvents(t, config.EVENTS_EXCHANGE)
  const owner = await activeAccount(app, events, 'device.owner@example.com')
  const signIn = await login(app, owner.email)
  const device = signIn.cookies.find((c) => c.name === DEVICE_COOKIE)
  t.match(device, { httpOnly: true, secure: true, sameSite: 'Strict', path: '/' }, 'a sign-in gives the browser a device cookie, HttpOnly and host-only')
  t.notOk(device?.domain, 'no Domain: a __Host- cookie')
  const withDevice = async (password: string, token = device!.value) => await app.inject({ method: 'POST', url: '/login', payload: { email: owner.email, password }, cookies: { [DEVICE_COOKIE]: token } })

  for (let i = 0; i < config.LOCKOUT_THRESHOLD + 3; i++) await login(app, owner.email, `strangers-guess-${i}`)
  t.equal((await login(app, owner.email)).json().code, 'ACCOUNT_LOCKED', 'the anonymous pool is locked')
  t.equal((await withDevice(owner.password)).statusCode, 200, 'the owner\'s browser still signs in')

  const forged = `${deviceCookieOf(signIn).split('.').slice(0, 2).join('.')}.${'A'.repeat(43)}`
  t.equal((await withDevice(owner.password, forged)).json().code, 'ACCOUNT_LOCKED', 'a forged device token counts as anonymous')
  const other = await activeAccount(app, events, 'device.other@example.com')
  const othersDevice = deviceCookieOf(await login(app, other.email))
  t.equal((await withDevice(owner.password, othersDevice)).json().code, 'ACCOUNT_LOCKED', 'a device of another address counts as anonymous')

  t.test('wrong passwords from a known device lock that device alone', async (t) => {
    const fresh = deviceCookieOf(await withDevice(owner.password))
    for (let i = 0; i < config.LOCKOUT_THRESHOLD; i++) t.equal((await withDevice(`typo-${i}`, fresh)).json().code, 'INVALID_CREDENTIALS')
    t.equal((await withDevice(owner.password, fresh)).json().code, 'ACCOUNT_LOCKED', 'that device is locked now')
    t.equal((await withDevice(owner.password)).statusCode, 200, 'the owner\'s other device is not')
  })
})

t.test('introspection: malformed client credentials are a 401, never a 500', async (t) => {
  const secret = 'introspection-secret-'.padEnd(40, 'y')
  const { app } = await build(t, { INTROSPECTION_CLIENTS: `billing:${secret}` })
  const introspect = async (authorization: string) => await app.inject({
    method: 'POST', url: '/oauth/introspect', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'token=abc'
  })
  for (const [name, authorization] of [['the pair %:x', 'Basic JTp4'], ['an id that is a lone %', `Basic ${Buffer.from('%:' + secret).toString('base64')}`], ['a secret with a broken escape', `Basic ${Buffer.from('billing:%E0%A4%A').toString('base64')}`], ['a shorter secret', `Basic ${Buffer.from('billing:short').toString('base64')}`]]) {
    const response = await introspect(authorization!)
    t.equal(response.statusCode, 401, name!)
    t.equal(response.json().code, 'INVALID_CLIENT', name!)
    t.match(response.headers['www-authenticate'], /^Basic realm="latchkey-introspection"/, `${name!}: WWW-Authenticate`)
  }
  t.equal((await introspect(`Basic ${Buffer.from(`billing:${secret}`).toString('base64')}`)).statusCode, 200, 'the right pair still works')
})

t.test('request ids: adopted only when short and plain, so no header makes an event unsendable', async (t) => {
  const { app, config } = await build(t)
  const events = await captureEvents(t, config.EVENTS_EXCHANGE)
  const registerWithId = async (email: string, requestId: string) => await app.inject({ method: 'POST', url: '/register', payload: { email, password: 'testpassword' }, headers: { 'x-request-id': requestId } })

  t.equal((await registerWithId('long.request.id@example.com', 'r'.repeat(300))).statusCode, 201)
  const published = await events.next((m) => m.event.data.email === 'long.request.id@example.com')
  t.not(published.properties.correlationId, 'r'.repeat(300), 'a 300-character id is replaced')
  t.match(published.properties.correlationId, /^[0-9a-f-]{36}$/, 'by a fresh one')

  await registerWithId('plain.request.id@example.com', 'nginx-0123456789abcdef')
  t.equal((await events.next((m) => m.event.data.email === 'plain.request.id@example.com')).properties.correlationId, 'nginx-0123456789abcdef', 'a plain one is kept')
  await registerWithId('odd.request.id@example.com', 'spaces and ünïcode')
  t.not((await events.next((m) => m.event.data.email === 'odd.request.id@example.com')).properties.correlationId, 'spaces and ünïcode')
})

t.test('an outbox event the broker client refuses is parked; the account\'s later events still go out', async (t) => {
  const { app, config } = await build(t)
  const events = await captureEvents(t, config.EVENTS_EXCHANGE)
  const owner = await activeAccount(app, events, 'parked.outbox@example.com')
  const account = (await app.accounts.byEmail(owner.email))!
  // What main wrote for an overlong X-Request-Id: amqplib refuses a correlation id over 255 bytes.
  const bad = { type: 'user.session_revoked', body: JSON.stringify({ id: 'bad' }), correlationId: 'x'.repeat(300), traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', createdAt: new Date(), mandatory: false }
  const badId = randomUUID()
  await app.accounts.updateIf(account._id, {}, { $set: { [`outbox.${badId}`]: bad }, $min: { outboxDueAt: new Date() } }, new Date())
  await app.outbox.publishSoon(account._id)
  const parked = (await app.accounts.byId(account._id))!
  t.same(Object.keys(parked.outbox), [], 'the outbox is clear')
  t.same(Object.keys(parked.outboxParked ?? {}), [badId], 'the refused event is kept, parked')
  t.equal(parked.outboxDueAt, undefined, 'nothing is due: it is not retried')
  const metrics = await app.metrics.registry.getSingleMetricAsString('auth_outbox_parked_total')
  t.match(metrics, /auth_outbox_parked_total\{type="user.session_revoked"[^}]*\} 1/, 'and counted')

  const token = (await login(app, owner.email)).json().refresh_token
  await app.inject({ method: 'POST', url: '/logout', payload: { refresh_token: token } })
  t.ok(await events.next((m) => m.routingKey === 'user.session_revoked' && m.event.subject === account._id), 'a later event of the account is published')
})

t.test('answers with tokens or personal data are never cached; the refresh cookie is __Host-', async (t) => {
  const { app, config } = await build(t)
  const events = await captureEvents(t, config.EVENTS_EXCHANGE)
  const owner = await activeAccount(app, events, 'no.store@example.com')
  const signIn = await app.inject({ method: 'POST', url: '/login', headers: { 'x-token-transport': 'cookie' }, payload: { email: owner.email, password: owner.password } })
  t.equal(signIn.headers['cache-control'], 'no-store', '/login')
  const refreshCookie = signIn.cookies.find((c) => c.name === '__Host-latchkey_refresh')
  t.match(refreshCookie, { httpOnly: true, secure: true, path: '/' }, 'the refresh cookie is __Host-latchkey_refresh')
  t.notOk(refreshCookie?.domain)
  const refreshed = await app.inject({ method: 'POST', url: '/token/refresh', headers: { 'x-token-transport': 'cookie' }, cookies: { '__Host-latchkey_refresh': refreshCookie!.value } })
  t.equal(refreshed.headers['cache-control'], 'no-store', '/token/refresh')
  const me = await app.inject({ method: 'GET', url: '/me', headers: bearer(refreshed.json().access_token) })
  t.equal(me.headers['cache-control'], 'no-store', '/me')
  t.equal((await register(app, 'no.store.2@example.com', 'testpassword')).headers['cache-control'], 'no-store', '/register (an address and an id)')
  t.equal((await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).headers['cache-control'], 'public, max-age=300', 'the JWKS keeps its own')

  t.test('a browser still holding the cookie under its old name refreshes once, and the old cookie is cleared', async (t) => {
    const legacy = (await app.inject({ method: 'POST', url: '/login', payload: { email: owner.email, password: owner.password } })).json().refresh_token
    const response = await app.inject({ method: 'POST', url: '/token/refresh', headers: { 'x-token-transport': 'cookie' }, cookies: { latchkey_refresh: legacy } })
    t.equal(response.statusCode, 200)
    t.match(response.cookies.find((c) => c.name === 'latchkey_refresh'), { value: '' }, 'the old cookie is cleared')
    t.ok(response.cookies.find((c) => c.name === '__Host-latchkey_refresh')?.value, 'and the new one set')
  })
})

t.test('one way to set a password: every session it ended is in its event, and the owner is told', async (t) => {
  const databaseName = uniqueName('authapi_password')
  const { app, config } = await build(t, { OUTBOX_SWEEP_SECONDS: '1' }, databaseName)
  const events = await captureEvents(t, config.EVENTS_EXCHANGE)

  t.test('a change publishes user.password_changed with the address and how', async (t) => {
    const owner = await activeAccount(app, events, 'changer@example.com')
    const token = (await login(app, owner.email)).json().access_token
    const sid = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).sid
    const changed = await app.inject({ method: 'POST', url: '/me/password', headers: bearer(token), payload: { current_password: owner.password, new_password: 'a-changed-passphrase' } })
    t.equal(changed.statusCode, 200)
    const event = await events.next((m) => m.routingKey === 'user.password_changed' && m.event.data.email === owner.email)
    t.match(event.event.data, { email: owner.email, how: 'changed', sessionIds: [sid] })
    t.equal(event.properties.deliveryMode, 2)
  })

  t.test('a sign-in that lands between the read and the write is ended and listed', async (t) => {
    const owner = await activeAccount(app, events, 'racer@example.com')
    const first = JSON.parse(Buffer.from((await login(app, owner.email)).json().access_token.split('.')[1], 'base64url').toString()).sid
    const before = (await app.accounts.byEmail(owner.email))!
    const late = JSON.parse(Buffer.from((await login(app, owner.email)).json().access_token.split('.')[1], 'base64url').toString()).sid
    const hash = await app.passwords.hash('a-raced-passphrase')
    const changed = await setPassword(app, before, { passwordHash: hash, how: 'changed', expected: { passwordHash: before.passwordHash }, context: requestContext({ id: 'race-test' }) })
    t.same(changed?.sessions, {}, 'both sessions ended')
    await app.outbox.publishSoon(before._id)
    const event = await events.next((m) => m.routingKey === 'user.password_changed' && m.event.data.email === owner.email)
    t.same([...event.event.data.sessionIds].sort(), [first, late].sort(), 'and the event lists both, the late one included')
  })

  t.test('a change decided on a password that is no longer current writes nothing', async (t) => {
    const owner = await activeAccount(app, events, 'stale@example.com')
    const before = (await app.accounts.byEmail(owner.email))!
    await login(app, owner.email)
    const outdated = await setPassword(app, before, { passwordHash: 'irrelevant', how: 'changed', expected: { passwordHash: 'not-the-current-hash' }, context: requestContext({ id: 'stale-test' }) })
    t.equal(outdated, null)
    t.equal((await login(app, owner.email)).statusCode, 200, 'the password still works')
  })
})
