import t from 'tap'
import { basic, build, captureEvents, eventsFor, form, nextCodeFor, register, registerAndReadCode, usersOf } from './helper.js'

t.test('activation', async (t) => {
  const { app, config, clock } = await build(t)
  const events = await captureEvents(t, config.EVENTS_EXCHANGE)
  const verify = async (email: string, password: string, body: Record<string, string> | undefined) =>
    await app.inject({ method: 'POST', url: '/verify', headers: { authorization: basic(email, password) }, ...(body ? { payload: body } : {}) })

  t.test('the seed flow: form body with verification_code and Basic auth activates once', async (t) => {
    const code = await registerAndReadCode(app, events, 'seed@example.com', 'testpassword')
    const response = await app.inject({ method: 'POST', url: '/verify', headers: { authorization: basic('seed@example.com', 'testpassword'), ...form({ verification_code: code }).headers }, payload: form({ verification_code: code }).payload })
    t.equal(response.statusCode, 200)
    t.match(response.json(), { status: 'success', activated_at: String })
    const user = await app.accounts.byEmail('seed@example.com')
    t.equal(user?.status, 'active')
    t.ok(user?.activatedAt instanceof Date, 'activatedAt stored')
    t.equal(user?.codes.activation, undefined, 'the code is consumed')
    const again = await verify('seed@example.com', 'testpassword', { verification_code: code })
    t.equal(again.statusCode, 409)
    t.equal(again.json().code, 'ALREADY_ACTIVATED')
  })

  t.test('`code` is accepted as an alias of verification_code, and the email is normalised', async (t) => {
    const code = await registerAndReadCode(app, events, 'alias@example.com', 'testpassword')
    const response = await verify('  ALIAS@example.com', 'testpassword', { code })
    t.equal(response.statusCode, 200)
  })

  t.test('bad or missing credentials get 401 with WWW-Authenticate, before anything about the code', async (t) => {
    await registerAndReadCode(app, events, 'creds@example.com', 'testpassword')
    clock.advance(3600)
    const cases = [
      { name: 'no Authorization header', headers: {} },
      { name: 'not Basic', headers: { authorization: 'Bearer abc' } },
      { name: 'garbage', headers: { authorization: 'Basic !!!' } },
      { name: 'no colon', headers: { authorization: `Basic ${Buffer.from('creds@example.com').toString('base64')}` } },
      { name: 'wrong password', headers: { authorization: basic('creds@example.com', 'wrong-password') } },
      { name: 'unknown email', headers: { authorization: basic('nobody@example.com', 'testpassword') } }
    ]
    for (const { name, headers } of cases) {
      const response = await app.inject({ method: 'POST', url: '/verify', headers, payload: { verification_code: '12' } })
      t.equal(response.statusCode, 401, name)
      t.match(response.headers['www-authenticate'], /^Basic realm="latchkey"/, `${name}: WWW-Authenticate`)
      t.match(response.json(), { status: 'error', code: /^(AUTH_REQUIRED|INVALID_CREDENTIALS)$/ }, name)
    }
    const wrongPasswordExpiredCode = await verify('creds@example.com', 'wrong-password', { verification_code: '0000' })
    t.equal(wrongPasswordExpiredCode.statusCode, 401, 'an expired code is not revealed to someone without the password')
  })

  t.test('an unknown email pays for a password verification too', async (t) => {
    const verifyPassword = app.passwords.verify
    const seen: Array<string | undefined> = []
    app.passwords.verify = async (hash, password) => { seen.push(hash); return await verifyPassword(hash, password) }
    t.teardown(() => { app.passwords.verify = verifyPassword })
    const response = await verify('ghost@example.com', 'testpassword', { verification_code: '1234' })
    t.equal(response.statusCode, 401)
    t.same(seen, [undefined], 'argon2 ran against the stand-in hash')
  })

  t.test('missing or malformed codes get 400', async (t) => {
    await registerAndReadCode(app, events, 'format@example.com', 'testpassword')
    const cases: Array<[Record<string, string> | undefined, string]> = [
      [{}, 'CODE_MISSING'],
      [{ verification_code: '' }, 'CODE_MISSING'],
      [{ verification_code: '123' }, 'CODE_MALFORMED'],
      [{ verification_code: '12345' }, 'CODE_MALFORMED'],
      [{ verification_code: '12a4' }, 'CODE_MALFORMED'],
      [{ verification_code: ' 123' }, 'CODE_MALFORMED'],
      [{ verification_code: '١٢٣٤' }, 'CODE_MALFORMED'],
      [undefined, 'CODE_MISSING']
    ]
    for (const [body, code] of cases) {
      const response = await verify('format@example.com', 'testpassword', body)
      t.equal(response.statusCode, 400, `${JSON.stringify(body)} → ${code}`)
      t.equal(response.json().code, code)
    }
    const user = await app.accounts.byEmail('format@example.com')
    t.equal(user?.codes.activation?.attempts, 0, 'malformed codes use no attempt')
  })

  t.test('a wrong code gives 403 with attempts left; the 5th burns the code (429), even for the right code after', async (t) => {
    const code = await registerAndReadCode(app, events, 'guess@example.com', 'testpassword')
    const wrong = code === '0000' ? '0001' : '0000'
    for (let left = 4; left >= 1; left--) {
      const response = await verify('guess@example.com', 'testpassword', { verification_code: wrong })
      t.equal(response.statusCode, 403)
      t.match(response.json(), { code: 'CODE_INVALID', attempts_left: left })
    }
    const fifth = await verify('guess@example.com', 'testpassword', { verification_code: wrong })
    t.equal(fifth.statusCode, 429)
    t.match(fifth.json(), { code: 'CODE_EXHAUSTED', attempts_left: 0 })
    t.ok(fifth.headers['retry-after'] !== undefined, 'Retry-After says when a new code can be requested')
    const right = await verify('guess@example.com', 'testpassword', { verification_code: code })
    t.equal(right.statusCode, 429, 'a burnt code stays burnt')
    t.equal((await app.accounts.byEmail('guess@example.com'))?.status, 'pending')
  })

  t.test('leading zeros count: a code is a string of digits', async (t) => {
    let code = await registerAndReadCode(app, events, 'zeros@example.com', 'testpassword')
    t.match(code, /^[0-9]{4}$/)
    const asNumber = String(Number(code))
    if (asNumber !== code) {
      const response = await verify('zeros@example.com', 'testpassword', { verification_code: asNumber })
      t.equal(response.statusCode, 400)
    }
    code = eventsFor(events, 'zeros@example.com').at(-1)!.event.data.code
    t.equal((await verify('zeros@example.com', 'testpassword', { verification_code: code })).statusCode, 200)
  })

  t.test('a code lives 60 s: valid at 59 s, 410 at 60 s (clock injected, no sleeping)', async (t) => {
    const early = await registerAndReadCode(app, events, 'early@example.com', 'testpassword')
    clock.advance(59)
    t.equal((await verify('early@example.com', 'testpassword', { verification_code: early })).statusCode, 200)

    const late = await registerAndReadCode(app, events, 'late@example.com', 'testpassword')
    clock.advance(60)
    const response = await verify('late@example.com', 'testpassword', { verification_code: late })
    t.equal(response.statusCode, 410)
    t.equal(response.json().code, 'CODE_EXPIRED')
    t.equal((await app.accounts.byEmail('late@example.com'))?.status, 'pending')
  })

  t.test('parallel correct verifies: exactly one activates', async (t) => {
    const code = await registerAndReadCode(app, events, 'race@example.com', 'testpassword')
    const responses = await Promise.all(Array.from({ length: 4 }, async () => await verify('race@example.com', 'testpassword', { verification_code: code })))
    const statuses = responses.map((r) => r.statusCode)
    t.equal(statuses.filter((s) => s === 200).length, 1, 'one 200')
    t.equal(statuses.filter((s) => s === 409).length, 3, 'the rest see an activated account')
    t.equal((await app.accounts.byEmail('race@example.com'))?.status, 'active')
  })

  t.test('20 parallel wrong guesses: exactly 5 are evaluated', async (t) => {
    const code = await registerAndReadCode(app, events, 'swarm@example.com', 'testpassword')
    const guesses = Array.from({ length: 21 }, (_, i) => String(i * 7).padStart(4, '0')).filter((g) => g !== code).slice(0, 20)
    const responses = await Promise.all(guesses.map(async (g) => await verify('swarm@example.com', 'testpassword', { verification_code: g })))
    const codes = responses.map((r) => r.json().code)
    t.equal(codes.filter((c) => c === 'CODE_INVALID').length, 4, 'four wrong tries are answered as wrong')
    t.ok(codes.includes('CODE_EXHAUSTED'), 'the fifth burns the code')
    // Each request is also a password proof: beyond the lockout threshold, a burst is refused before anything else.
    // And each is a try against the address's daily cap across codes, reserved before the comparison too.
    t.same(codes.filter((c) => c !== 'CODE_INVALID' && c !== 'CODE_EXHAUSTED'), codes.filter((c) => c === 'ACCOUNT_LOCKED' || c === 'CODE_FAILURE_LIMIT'), 'the rest are refused unevaluated')
    t.equal((await app.accounts.byEmail('swarm@example.com'))?.codes.activation?.attempts, 5, 'exactly 5 attempts were counted')
  })

  t.test('resend: new code, the old one stops working, 30 s cooldown with Retry-After, daily cap', async (t) => {
    const first = await registerAndReadCode(app, events, 'resend@example.com', 'testpassword')
    const resend = async () => await app.inject({ method: 'POST', url: '/verify/resend', headers: { authorization: basic('resend@example.com', 'testpassword') } })

    const tooSoon = await resend()
    t.equal(tooSoon.statusCode, 429)
    t.match(tooSoon.json(), { code: 'RESEND_TOO_SOON', retry_after_seconds: 30 })
    t.equal(tooSoon.headers['retry-after'], '30')

    clock.advance(30)
    const seen = eventsFor(events, 'resend@example.com').length
    const ok = await resend()
    t.equal(ok.statusCode, 200)
    t.match(ok.json(), { status: 'success', attempts_left: 5, code_expires_at: String, resend_available_at: String })
    const second = await nextCodeFor(events, 'resend@example.com', seen)
    t.equal(eventsFor(events, 'resend@example.com').at(-1)!.routingKey, 'user.activation_code_requested')
    if (second !== first) {
      t.equal((await verify('resend@example.com', 'testpassword', { verification_code: first })).statusCode, 403, 'the old code is superseded')
    }
    t.equal((await verify('resend@example.com', 'testpassword', { verification_code: second })).statusCode, 200)
    clock.advance(30)
    const afterActivation = await resend()
    t.equal(afterActivation.statusCode, 409)
    t.equal(afterActivation.json().code, 'ALREADY_ACTIVATED')
  })
})

t.test('a disabled account can neither activate nor ask for codes; resend needs credentials and respects the lockout', async (t) => {
  const { app, config } = await build(t)
  const events = await captureEvents(t, config.EVENTS_EXCHANGE)
  const resend = async (email: string, password: string) => await app.inject({ method: 'POST', url: '/verify/resend', headers: { authorization: basic(email, password) } })

  const code = await registerAndReadCode(app, events, 'benched@example.com', 'testpassword')
  await usersOf(app).updateOne({ email: 'benched@example.com' }, { $set: { status: 'disabled' } })
  const verified = await app.inject({ method: 'POST', url: '/verify', headers: { authorization: basic('benched@example.com', 'testpassword') }, payload: { verification_code: code } })
  t.equal(verified.statusCode, 403)
  t.equal(verified.json().code, 'ACCOUNT_DISABLED')
  t.equal((await resend('benched@example.com', 'testpassword')).json().code, 'ACCOUNT_DISABLED')

  const anonymous = await app.inject({ method: 'POST', url: '/verify/resend' })
  t.equal(anonymous.statusCode, 401)
  t.equal(anonymous.json().code, 'AUTH_REQUIRED')
  t.match(anonymous.headers['www-authenticate'], /^Basic realm="latchkey"/)

  await register(app, 'locked-out@example.com', 'testpassword')
  for (let i = 0; i < config.LOCKOUT_THRESHOLD; i++) await resend('locked-out@example.com', `wrong-${i}-password`)
  const locked = await resend('locked-out@example.com', 'testpassword')
  t.equal(locked.statusCode, 429)
  t.equal(locked.json().code, 'ACCOUNT_LOCKED')
  t.ok(Number(locked.headers['retry-after']) > 0)
})

t.test('the daily cap on code mails is per account and configurable', async (t) => {
  const { app, config, clock } = await build(t, { CODE_MAILS_PER_DAY: '3', RESEND_INTERVAL_SECONDS: '0' })
  await captureEvents(t, config.EVENTS_EXCHANGE)
  t.equal((await register(app, 'cap@example.com', 'testpassword')).statusCode, 201)
  const resend = async () => await app.inject({ method: 'POST', url: '/verify/resend', headers: { authorization: basic('cap@example.com', 'testpassword') } })
  t.equal((await resend()).statusCode, 200)
  t.equal((await resend()).statusCode, 200)
  const capped = await resend()
  t.equal(capped.statusCode, 429)
  t.equal(capped.json().code, 'CODE_MAIL_LIMIT')
  t.ok(Number(capped.headers['retry-after']) > 0)
  clock.advance(86_400)
  t.equal((await resend()).statusCode, 200, 'a new UTC day, a new allowance')
})

t.test('code length and lifetime are configurable', async (t) => {
  const { app, config, clock } = await build(t, { CODE_LENGTH: '6', CODE_TTL_SECONDS: '120' })
  const events = await captureEvents(t, config.EVENTS_EXCHANGE)
  const code = await registerAndReadCode(app, events, 'six@example.com', 'testpassword')
  t.match(code, /^[0-9]{6}$/)
  clock.advance(119)
  const response = await app.inject({ method: 'POST', url: '/verify', headers: { authorization: basic('six@example.com', 'testpassword') }, payload: { verification_code: code } })
  t.equal(response.statusCode, 200)
})
