import t from 'tap'
import { activeAccount, basic, build, captureEvents, eventsFor, login, nextCodeFor, register, registerAndReadCode } from './helper.js'

const DAY_SECONDS = 86_400

/** Any code of the right length but this one. */
function wrongCodeFor (code: string, salt = 0): string {
  const guess = ((Number(code) + 1 + salt) % 10 ** code.length).toString().padStart(code.length, '0')
  return guess === code ? wrongCodeFor(code, salt + 1) : guess
}

t.test('wrong codes count per address and purpose across codes', async (t) => {
  const { app, config, clock } = await build(t)
  const events = await captureEvents(t, config.EVENTS_EXCHANGE)
  const perDay = config.CODE_FAILURES_PER_DAY
  t.equal(perDay, 10, 'the default cap')
  t.equal(config.CODE_MAX_ATTEMPTS, 5)

  t.test('activation: fresh codes bring no fresh tries; the cap refuses even the right code, then resends and re-registrations', async (t) => {
    const email = 'patient.squatter@example.com'
    const password = 'squatters-password'
    const verify = async (code: string) => await app.inject({ method: 'POST', url: '/verify', headers: { authorization: basic(email, password) }, payload: { verification_code: code } })
    const resend = async () => {
      clock.advance(config.RESEND_INTERVAL_SECONDS)
      const seen = eventsFor(events, email).length
      const response = await app.inject({ method: 'POST', url: '/verify/resend', headers: { authorization: basic(email, password) } })
      return { response, code: response.statusCode === 200 ? await nextCodeFor(events, email, seen) : undefined }
    }

    const first = await registerAndReadCode(app, events, email, password)
    const answers: string[] = []
    for (let i = 0; i < config.CODE_MAX_ATTEMPTS; i++) answers.push((await verify(wrongCodeFor(first, i))).json().code)
    t.same(answers, ['CODE_INVALID', 'CODE_INVALID', 'CODE_INVALID', 'CODE_INVALID', 'CODE_EXHAUSTED'], 'the first code burns after its own tries')
    const second = (await resend()).code!
    for (let i = 0; i < perDay - config.CODE_MAX_ATTEMPTS - 1; i++) t.equal((await verify(wrongCodeFor(second, i))).json().code, 'CODE_INVALID')
    const third = (await resend()).code!
    t.equal((await verify(wrongCodeFor(third))).json().code, 'CODE_INVALID', `the ${perDay}th wrong code of the day, on a fresh code`)

    const refused = await verify(third)
    t.equal(refused.statusCode, 429, 'the right code of a fresh code is refused once the day\'s wrong codes are spent')
    t.equal(refused.json().code, 'CODE_FAILURE_LIMIT')
    const retryAfter = Number(refused.headers['retry-after'])
    t.ok(retryAfter > DAY_SECONDS - 120 && retryAfter <= DAY_SECONDS, `Retry-After is the rest of the 24-hour window (${retryAfter} s)`)
    t.equal((await app.accounts.byEmail(email))?.status, 'pending')

    const noResend = await resend()
    t.equal(noResend.response.json().code, 'CODE_FAILURE_LIMIT', 'no code is issued either')
    t.equal((await register(app, email, 'another-password')).json().code, 'CODE_FAILURE_LIMIT', 'not even by registering again')

    clock.advance(DAY_SECONDS)
    const renewed = await resend()
    t.equal(renewed.response.statusCode, 200, 'the next window starts afresh')
    t.equal((await verify(renewed.code!)).statusCode, 200)
  })

  t.test('a right code gives its try back', async (t) => {
    const email = 'careful.typist@example.com'
    const code = await registerAndReadCode(app, events, email, 'testpassword')
    for (let i = 0; i < config.CODE_MAX_ATTEMPTS - 1; i++) await app.inject({ method: 'POST', url: '/verify', headers: { authorization: basic(email, 'testpassword') }, payload: { verification_code: wrongCodeFor(code, i) } })
    t.equal((await app.inject({ method: 'POST', url: '/verify', headers: { authorization: basic(email, 'testpassword') }, payload: { verification_code: code } })).statusCode, 200)
  })

  t.test('password reset: 8 digits, the cap across codes, for known and unknown addresses alike', async (t) => {
    const owner = await activeAccount(app, events, 'reset.target@example.com')
    const reset = async (email: string, code: string) => await app.inject({ method: 'POST', url: '/password/reset', payload: { email, code, new_password: 'attackers-new-pass' } })
    const forgot = async () => {
      clock.advance(config.RESEND_INTERVAL_SECONDS)
      const seen = eventsFor(events, owner.email).length
      t.equal((await app.inject({ method: 'POST', url: '/password/forgot', payload: { email: owner.email } })).statusCode, 202)
      return await nextCodeFor(events, owner.email, seen)
    }
    const codes = [await forgot(), await forgot(), await forgot()]
    t.ok(codes.every((code) => /^[0-9]{8}$/.test(code)), `reset codes are ${config.RESET_CODE_LENGTH} digits: ${codes.join(', ')}`)
    for (let i = 0; i < perDay; i++) t.equal((await reset(owner.email, wrongCodeFor(codes[2]!, i))).json().code, 'CODE_REJECTED')
    const refused = await reset(owner.email, codes[2]!)
    t.equal(refused.json().code, 'CODE_FAILURE_LIMIT', 'the right code is refused past the cap')
    t.ok(Number(refused.headers['retry-after']) > 0)
    t.equal((await login(app, owner.email)).statusCode, 200, 'the password is unchanged')

    const stranger = 'nobody.here@example.com'
    for (let i = 0; i < perDay; i++) t.equal((await reset(stranger, String(10_000_000 + i))).json().code, 'CODE_REJECTED')
    t.equal((await reset(stranger, '12345678')).json().code, 'CODE_FAILURE_LIMIT', 'an address without an account is capped the same way: the cap tells nothing')
  })

  t.test('20 parallel wrong reset codes: no more than the cap are evaluated', async (t) => {
    const owner = await activeAccount(app, events, 'reset.burst@example.com')
    clock.advance(config.RESEND_INTERVAL_SECONDS)
    const seen = eventsFor(events, owner.email).length
    await app.inject({ method: 'POST', url: '/password/forgot', payload: { email: owner.email } })
    const code = await nextCodeFor(events, owner.email, seen)
    const answers = await Promise.all(Array.from({ length: 20 }, async (_, i) =>
      (await app.inject({ method: 'POST', url: '/password/reset', payload: { email: owner.email, code: wrongCodeFor(code, i), new_password: 'attackers-new-pass' } })).json().code))
    t.ok(answers.filter((c) => c === 'CODE_REJECTED').length <= perDay, `${answers.filter((c) => c === 'CODE_REJECTED').length} evaluated`)
    t.equal(answers.filter((c) => c === 'CODE_FAILURE_LIMIT').length, 20 - perDay, 'the rest refused before any comparison')
    t.ok(((await app.accounts.byEmail(owner.email))?.codes['password-reset']?.attempts ?? 0) <= config.CODE_MAX_ATTEMPTS, 'the code\'s own tries held too')
  })

  t.test('a reset does not depend on the sign-in lockout: a locked-out owner can still recover', async (t) => {
    const owner = await activeAccount(app, events, 'locked.but.recovers@example.com')
    for (let i = 0; i < config.LOCKOUT_THRESHOLD; i++) await login(app, owner.email, `strangers-guess-${i}`)
    t.equal((await login(app, owner.email)).json().code, 'ACCOUNT_LOCKED', 'strangers locked the address')
    clock.advance(config.RESEND_INTERVAL_SECONDS)
    const seen = eventsFor(events, owner.email).length
    await app.inject({ method: 'POST', url: '/password/forgot', payload: { email: owner.email } })
    const code = await nextCodeFor(events, owner.email, seen)
    const recovered = await app.inject({ method: 'POST', url: '/password/reset', payload: { email: owner.email, code, new_password: 'owners-fresh-pass' } })
    t.equal(recovered.statusCode, 200, 'the emailed code resets the password')
    const device = recovered.cookies.find((c) => c.name === '__Host-latchkey_device')
    t.ok(device?.value, 'and the browser that proved the mailbox becomes one of the address\'s devices')
    const signedIn = await app.inject({ method: 'POST', url: '/login', payload: { email: owner.email, password: 'owners-fresh-pass' }, cookies: { '__Host-latchkey_device': device!.value } })
    t.equal(signedIn.statusCode, 200, 'so the owner signs in there, apart from the pool strangers fill')
  })
})
