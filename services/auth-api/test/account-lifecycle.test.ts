import t from 'tap'
import { eventually } from '@latchkey/shared/test-support'
import { activeAccount, basic, bearer, build, captureEvents, eventsFor, login, nextCodeFor, register, signInAttemptsOf, usersOf } from './helper.js'

t.test('account lifecycle', async (t) => {
  const { app, config, clock } = await build(t)
  const events = await captureEvents(t, config.EVENTS_EXCHANGE)

  t.test('changing the password signs out every session', async (t) => {
    const bob = await activeAccount(app, events, 'bob@example.com')
    const session = (await login(app, bob.email)).json()
    const wrong = await app.inject({ method: 'POST', url: '/me/password', headers: bearer(session.access_token), payload: { current_password: 'nope-nope', new_password: 'a-new-password' } })
    t.equal(wrong.statusCode, 401)
    t.match(wrong.json(), { code: 'INVALID_PASSWORD', field: 'current_password' })
    const weak = await app.inject({ method: 'POST', url: '/me/password', headers: bearer(session.access_token), payload: { current_password: bob.password, new_password: 'password' } })
    t.equal(weak.json().code, 'PASSWORD_TOO_COMMON')
    const changed = await app.inject({ method: 'POST', url: '/me/password', headers: { ...bearer(session.access_token), 'x-token-transport': 'cookie' }, payload: { current_password: bob.password, new_password: 'a-new-password' } })
    t.equal(changed.statusCode, 200)
    t.match(changed.cookies.find((c) => c.name === '__Host-latchkey_refresh'), { value: '' }, 'a browser\'s session cookies go with its session')
    const old = await app.inject({ method: 'GET', url: '/me', headers: bearer(session.access_token) })
    t.equal(old.statusCode, 401)
    t.equal(old.json().code, 'TOKEN_REVOKED')
    t.equal((await app.inject({ method: 'POST', url: '/token/refresh', payload: { refresh_token: session.refresh_token } })).statusCode, 401)
    t.equal((await login(app, bob.email)).statusCode, 401, 'the old password is gone')
    const fresh = await login(app, bob.email, 'a-new-password')
    t.equal(fresh.statusCode, 200)
    t.equal((await app.inject({ method: 'GET', url: '/me', headers: bearer(fresh.json().access_token) })).statusCode, 200)
    const event = await events.next((m) => m.routingKey === 'user.password_changed')
    t.equal(event.event.subject, (await app.accounts.byEmail(bob.email))!._id, 'user.password_changed tells other services')
    t.equal(event.event.data.sessionIds.length, 1, 'with the sessions that ended')
  })

  t.test('a reset code can be asked for right after activation: each purpose has its own mail quota', async (t) => {
    const hana = await activeAccount(app, events, 'hana@example.com')
    const seen = eventsFor(events, hana.email).length
    const forgot = await app.inject({ method: 'POST', url: '/password/forgot', payload: { email: hana.email } })
    t.equal(forgot.statusCode, 202)
    await nextCodeFor(events, hana.email, seen)
    t.equal(eventsFor(events, hana.email).at(-1)!.routingKey, 'user.password_reset_requested', 'the reset mail goes out at once')
  })

  t.test('/password/forgot answers before it looks the address up, so its timing tells nothing', async (t) => {
    const ida = await activeAccount(app, events, 'ida@example.com')
    // The lookup is held until the answer arrives; an answer that waited for the lookup would
    // arrive only once the hold gives up, and the lookup would say so.
    let answered!: () => void
    const answer = new Promise<string>((resolve) => { answered = () => resolve('after the answer') })
    const lookups: string[] = []
    const byEmail = app.accounts.byEmail.bind(app.accounts)
    app.accounts.byEmail = async (email) => {
      lookups.push(await Promise.race([answer, new Promise<string>((resolve) => setTimeout(() => resolve('before the answer'), 5000))]))
      return await byEmail(email)
    }
    t.teardown(() => { app.accounts.byEmail = byEmail })
    const seen = eventsFor(events, ida.email).length
    const response = await app.inject({ method: 'POST', url: '/password/forgot', payload: { email: ida.email } })
    answered()
    t.equal(response.statusCode, 202)
    await nextCodeFor(events, ida.email, seen)
    t.same(lookups, ['after the answer'], 'the address was looked up only after the answer went out')
  })

  t.test('deleting the account needs the password, revokes tokens, publishes user.deleted, frees the address', async (t) => {
    const carol = await activeAccount(app, events, 'carol@example.com')
    const session = (await login(app, carol.email)).json()
    const userId = (await app.accounts.byEmail(carol.email))!._id
    const refused = await app.inject({ method: 'DELETE', url: '/me', headers: bearer(session.access_token), payload: { password: 'wrong-password' } })
    t.equal(refused.statusCode, 401)
    const deleted = await app.inject({ method: 'DELETE', url: '/me', headers: bearer(session.access_token), payload: { password: carol.password } })
    t.equal(deleted.statusCode, 200)
    const event = await events.next((m) => m.routingKey === 'user.deleted' && m.event.subject === userId)
    t.match(event.event.data, { userId, email: carol.email, sessionIds: [String] })
    t.equal((await app.inject({ method: 'GET', url: '/me', headers: bearer(session.access_token) })).statusCode, 401)
    t.equal((await app.inject({ method: 'POST', url: '/token/refresh', payload: { refresh_token: session.refresh_token } })).statusCode, 401)
    t.equal((await login(app, carol.email)).statusCode, 401)
    t.equal((await register(app, carol.email, 'testpassword')).statusCode, 201, 'the address can be used again')
    await t.resolves(eventually(async () => (await app.accounts.byId(userId)) === null, { what: 'the tombstone to go' }), 'the tombstone goes once the event is out')
  })

  t.test('password reset: 202 whatever the address; the code resets once; sessions end', async (t) => {
    const dave = await activeAccount(app, events, 'dave@example.com')
    const session = (await login(app, dave.email)).json()
    const unknown = await app.inject({ method: 'POST', url: '/password/forgot', payload: { email: 'nobody@example.com' } })
    const pending = await register(app, 'notyet@example.com', 'testpassword')
    t.equal(pending.statusCode, 201)
    const pendingForgot = await app.inject({ method: 'POST', url: '/password/forgot', payload: { email: 'notyet@example.com' } })
    clock.advance(30)
    const seen = eventsFor(events, dave.email).length
    const known = await app.inject({ method: 'POST', url: '/password/forgot', payload: { email: ' DAVE@example.com' } })
    t.equal(unknown.statusCode, 202)
    t.equal(known.statusCode, 202)
    t.equal(pendingForgot.statusCode, 202)
    t.same(unknown.json(), known.json(), 'the same answer either way')
    t.match(known.json(), { code_ttl_seconds: config.CODE_TTL_SECONDS, resend_interval_seconds: config.RESEND_INTERVAL_SECONDS }, 'with the timings a page needs for its countdowns')
    const code = await nextCodeFor(events, dave.email, seen)
    t.equal(eventsFor(events, dave.email).at(-1)!.routingKey, 'user.password_reset_requested')

    t.equal(code.length, config.RESET_CODE_LENGTH, 'a reset code has its own length, 8 digits by default')
    const unknownReset = await app.inject({ method: 'POST', url: '/password/reset', payload: { email: 'nobody@example.com', code: '12345678', new_password: 'brand-new-secret' } })
    t.equal(unknownReset.statusCode, 403)
    const wrongCode = code === '00000000' ? '00000001' : '00000000'
    const wrong = await app.inject({ method: 'POST', url: '/password/reset', payload: { email: dave.email, code: wrongCode, new_password: 'brand-new-secret' } })
    t.equal(wrong.statusCode, 403)
    t.same(wrong.json(), unknownReset.json(), 'a wrong code and an unknown address get the very same answer')
    t.equal(wrong.json().code, 'CODE_REJECTED')
    const weak = await app.inject({ method: 'POST', url: '/password/reset', payload: { email: dave.email, code, new_password: 'short' } })
    t.equal(weak.json().code, 'PASSWORD_TOO_SHORT', 'a bad new password costs no attempt')
    const ok = await app.inject({ method: 'POST', url: '/password/reset', payload: { email: dave.email, code, new_password: 'brand-new-secret' } })
    t.equal(ok.statusCode, 200)
    const replay = await app.inject({ method: 'POST', url: '/password/reset', payload: { email: dave.email, code, new_password: 'another-new-one' } })
    t.equal(replay.statusCode, 403, 'a code works once')
    t.equal(replay.json().code, 'CODE_REJECTED')
    t.equal((await login(app, dave.email, 'brand-new-secret')).statusCode, 200)
    t.equal((await app.inject({ method: 'POST', url: '/token/refresh', payload: { refresh_token: session.refresh_token } })).statusCode, 401, 'old sessions are over')
  })

  t.test('a reset code expires like an activation code', async (t) => {
    const erin = await activeAccount(app, events, 'erin@example.com')
    clock.advance(30)
    const seen = eventsFor(events, erin.email).length
    await app.inject({ method: 'POST', url: '/password/forgot', payload: { email: erin.email } })
    const code = await nextCodeFor(events, erin.email, seen)
    clock.advance(60)
    const late = await app.inject({ method: 'POST', url: '/password/reset', payload: { email: erin.email, code, new_password: 'brand-new-secret' } })
    t.equal(late.statusCode, 403)
    t.equal(late.json().code, 'CODE_REJECTED')
  })

  t.test('ten consecutive failures lock the account for a growing, capped delay; success resets', async (t) => {
    const failures = signInAttemptsOf(app)
    const frank = await activeAccount(app, events, 'frank@example.com')
    for (let i = 0; i < 9; i++) t.equal((await login(app, frank.email, 'wrong-password')).statusCode, 401)
    t.equal((await login(app, frank.email)).statusCode, 200, 'nine failures, then success')
    t.equal(await failures.countDocuments({ _id: frank.email }), 0, 'success resets the counter')

    for (let i = 0; i < 9; i++) await login(app, frank.email, 'wrong-password')
    const basicFailure = await app.inject({ method: 'POST', url: '/verify', headers: { authorization: basic(frank.email, 'wrong-password') }, payload: { verification_code: '1234' } })
    t.equal(basicFailure.statusCode, 401, 'the tenth failure came through Basic auth: the counter is shared')
    const locked = await login(app, frank.email)
    t.equal(locked.statusCode, 429, 'locked even with the right password')
    t.equal(locked.json().code, 'ACCOUNT_LOCKED')
    t.equal(locked.headers['retry-after'], '30')
    clock.advance(31)
    t.equal((await login(app, frank.email, 'wrong-password')).statusCode, 401)
    const longer = await login(app, frank.email)
    t.equal(longer.statusCode, 429)
    t.equal(longer.headers['retry-after'], '60', 'each further failure doubles the wait')
    clock.advance(61)
    for (let i = 0; i < 10; i++) {
      await login(app, frank.email, 'wrong-password')
      clock.advance(Number((await failures.findOne({ _id: frank.email }))?.lockedUntil ? 901 : 0))
    }
    const capped = (await failures.findOne({ _id: frank.email }))!
    t.ok(capped.lockedUntil!.getTime() - clock.now().getTime() <= 900_000, 'never more than the 15 min cap')
    clock.advance(901)
    t.equal((await login(app, frank.email)).statusCode, 200, 'the owner gets back in after the cap')
  })

  t.test('an address without an account locks the same way, so the lockout reveals nothing', async (t) => {
    const ghost = 'no-account-here@example.com'
    const answers: number[] = []
    for (let i = 0; i < 11; i++) answers.push((await login(app, ghost, 'wrong-password')).statusCode)
    t.same(answers, [...Array(10).fill(401), 429])
    clock.advance(3600)
  })

  t.test('admin: create with the command, list, filter, disable, enable', async (t) => {
    const admin = await activeAccount(app, events, 'root@example.com')
    await usersOf(app).updateOne({ email: admin.email }, { $set: { roles: ['user', 'admin'] } })
    const adminToken = (await login(app, admin.email)).json().access_token
    const user = await activeAccount(app, events, 'gina@example.com')
    const userToken = (await login(app, user.email)).json().access_token

    const forbidden = await app.inject({ method: 'GET', url: '/admin/users', headers: bearer(userToken) })
    t.equal(forbidden.statusCode, 403)
    t.equal(forbidden.json().code, 'FORBIDDEN')
    t.equal((await app.inject({ method: 'GET', url: '/admin/users' })).statusCode, 401)

    const page = await app.inject({ method: 'GET', url: '/admin/users?per_page=2&page=1', headers: bearer(adminToken) })
    t.equal(page.statusCode, 200)
    t.equal(page.json().users.length, 2)
    t.ok(page.json().total > 2)
    const pendingOnly = await app.inject({ method: 'GET', url: '/admin/users?status=pending&per_page=100', headers: bearer(adminToken) })
    t.ok(pendingOnly.json().users.length > 0)
    t.ok(pendingOnly.json().users.every((u: { status: string }) => u.status === 'pending'))
    t.equal((await app.inject({ method: 'GET', url: '/admin/users?per_page=1000', headers: bearer(adminToken) })).statusCode, 400)

    const gina = (await app.accounts.byEmail(user.email))!
    const session = (await login(app, user.email)).json()
    const disabled = await app.inject({ method: 'POST', url: `/admin/users/${gina._id}/disable`, headers: bearer(adminToken) })
    t.equal(disabled.statusCode, 200)
    t.equal(disabled.json().user.status, 'disabled')
    const disabledEvent = await events.next((m) => m.routingKey === 'user.disabled' && m.event.subject === gina._id)
    t.ok(disabledEvent.event.data.sessionIds.length >= 2, 'user.disabled lists the sessions that ended')
    t.equal((await app.inject({ method: 'GET', url: '/me', headers: bearer(userToken) })).statusCode, 401, 'access tokens stop working')
    t.equal((await app.inject({ method: 'POST', url: '/token/refresh', payload: { refresh_token: session.refresh_token } })).statusCode, 401, 'refresh tokens are revoked')
    const login403 = await login(app, user.email)
    t.equal(login403.statusCode, 403)
    t.equal(login403.json().code, 'ACCOUNT_DISABLED')
    const enabled = await app.inject({ method: 'POST', url: `/admin/users/${gina._id}/enable`, headers: bearer(adminToken) })
    t.equal(enabled.json().user.status, 'active')
    t.equal((await login(app, user.email)).statusCode, 200)
    t.equal((await app.inject({ method: 'GET', url: '/me', headers: bearer(userToken) })).statusCode, 401, 'tokens from before the disabling stay dead after re-enabling')
    t.equal((await app.inject({ method: 'POST', url: '/admin/users/no-such-id/disable', headers: bearer(adminToken) })).statusCode, 404)
    const self = await app.inject({ method: 'POST', url: `/admin/users/${(await app.accounts.byEmail(admin.email))!._id}/disable`, headers: bearer(adminToken) })
    t.equal(self.json().code, 'CANNOT_DISABLE_SELF')
  })
})
