import t from 'tap'
import { activeAccount, basic, bearer, build, captureEvents, login, signInAttemptsOf } from './helper.js'

t.test('the lockout holds against parallel guesses', async (t) => {
  const { app, config } = await build(t)
  const events = await captureEvents(t, config.EVENTS_EXCHANGE)
  const threshold = config.LOCKOUT_THRESHOLD

  t.test('30 wrong passwords and the right one at once: at most the threshold are evaluated', async (t) => {
    const victim = await activeAccount(app, events, 'burst@example.com')
    const verify = app.passwords.verify
    let evaluated = 0
    app.passwords.verify = async (hash, password) => { evaluated++; return await verify(hash, password) }
    t.teardown(() => { app.passwords.verify = verify })
    const attempts = [...Array.from({ length: 30 }, (_, i) => `wrong-guess-${i}`), victim.password]
    const responses = await Promise.all(attempts.map(async (password) => await login(app, victim.email, password)))
    const codes = responses.map((r) => r.statusCode === 200 ? 'OK' : r.json().code)
    t.ok(evaluated <= threshold, `${evaluated} passwords were checked, the threshold is ${threshold}`)
    t.equal(codes.filter((c) => c === 'INVALID_CREDENTIALS').length + codes.filter((c) => c === 'OK').length, evaluated, 'every evaluated one was answered as such')
    t.equal(codes.filter((c) => c === 'ACCOUNT_LOCKED').length, attempts.length - evaluated, 'the rest were refused before any check')
    t.ok(responses.filter((r) => r.statusCode === 429).every((r) => Number(r.headers['retry-after']) > 0), 'with Retry-After')
  })

  t.test('the same through Basic auth on /verify', async (t) => {
    await app.inject({ method: 'POST', url: '/register', payload: { email: 'basic-burst@example.com', password: 'testpassword' } })
    const verify = app.passwords.verify
    let evaluated = 0
    app.passwords.verify = async (hash, password) => { evaluated++; return await verify(hash, password) }
    t.teardown(() => { app.passwords.verify = verify })
    const responses = await Promise.all(Array.from({ length: 40 }, async (_, i) =>
      await app.inject({ method: 'POST', url: '/verify', headers: { authorization: basic('basic-burst@example.com', `wrong-${i}-password`) }, payload: { verification_code: '1234' } })))
    t.ok(evaluated <= threshold, `${evaluated} evaluated`)
    t.equal(responses.filter((r) => r.statusCode === 401).length, evaluated)
    t.equal(responses.filter((r) => r.json().code === 'ACCOUNT_LOCKED').length, 40 - evaluated)
  })

  t.test('and on the password confirmation of a password change', async (t) => {
    const owner = await activeAccount(app, events, 'change-burst@example.com')
    const token = (await login(app, owner.email)).json().access_token
    const responses = await Promise.all(Array.from({ length: 25 }, async (_, i) =>
      await app.inject({ method: 'POST', url: '/me/password', headers: bearer(token), payload: { current_password: `not-it-${i}`, new_password: 'a-brand-new-passphrase' } })))
    t.ok(responses.filter((r) => r.json().code === 'INVALID_PASSWORD').length <= threshold)
    t.ok(responses.some((r) => r.json().code === 'ACCOUNT_LOCKED'))
  })

  t.test('credentials too long to be real never reach storage', async (t) => {
    const username = `${'u'.repeat(6000)}@example.com`
    const response = await app.inject({ method: 'POST', url: '/verify', headers: { authorization: basic(username, 'whatever-password') }, payload: { verification_code: '1234' } })
    t.equal(response.statusCode, 401)
    t.equal(response.json().code, 'INVALID_CREDENTIALS')
    t.equal(await signInAttemptsOf(app).countDocuments({ _id: { $regex: '^u{100}' } }), 0, 'no counter was written for it')
    t.equal(await signInAttemptsOf(app).countDocuments({ _id: username }), 0)
  })
})
