import t from 'tap'
import { OWASP_HASHING } from '../src/credentials/passwords.js'
import { basic, build, captureEvents, eventsFor, form, register, registerAndReadCode, usersOf } from './helper.js'

t.test('registration', async (t) => {
  const { app, config } = await build(t)
  const events = await captureEvents(t, config.EVENTS_EXCHANGE)

  t.test('a new email as JSON gives 201, without the code in the response', async (t) => {
    const response = await register(app, 'new.json@example.com', 'testpassword')
    t.equal(response.statusCode, 201)
    const body = response.json()
    t.match(body, { status: 'success', email: 'new.json@example.com', attempts_left: 5 })
    t.type(body.user_id, 'string')
    t.ok(Date.parse(body.code_expires_at) > Date.now(), 'code_expires_at is in the future')
    t.notOk('code' in body, 'the code is never in the response')
    const event = await events.next((m) => m.event.data.email === 'new.json@example.com')
    t.notMatch(response.body, new RegExp(`"${event.event.data.code}"`), 'the emailed code does not appear in the body')
  })

  t.test('the seed curl form body works: password=…&email=…', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/register', ...form({ password: 'testpassword', email: 'foo@bar.com' }) })
    t.equal(response.statusCode, 201)
    t.equal(response.json().email, 'foo@bar.com')
  })

  t.test('user.registered is a persistent CloudEvent with the event id as messageId and the request id as correlation id', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/register', payload: { email: 'event@example.com', password: 'testpassword' }, headers: { 'x-request-id': 'req-from-nginx-1' } })
    t.equal(response.statusCode, 201)
    const { event, routingKey, properties } = await events.next((m) => m.event.data.email === 'event@example.com')
    t.equal(routingKey, 'user.registered')
    t.match(event, { specversion: '1.0', type: 'user.registered', datacontenttype: 'application/json', subject: response.json().user_id })
    t.equal(properties.messageId, event.id)
    t.equal(properties.correlationId, 'req-from-nginx-1')
    t.equal(properties.deliveryMode, 2, 'persistent')
    t.match(event.data.code, /^[0-9]{4}$/)
    t.equal(event.data.codeExpiresAt, response.json().code_expires_at)
  })

  t.test('the password is stored as argon2id at OWASP parameters and the code only as a keyed hash', async (t) => {
    // An app as production builds it: the other tests here hash at the helper's quick cost.
    const { app: production } = await build(t, { EVENTS_EXCHANGE: config.EVENTS_EXCHANGE }, undefined, { passwordHashing: OWASP_HASHING })
    await register(production, 'stored@example.com', 'testpassword')
    const { event } = await events.next((m) => m.event.data.email === 'stored@example.com')
    const user = await production.accounts.byEmail('stored@example.com')
    const [, algorithm, version, parameters] = user!.passwordHash.split('$')
    t.same([algorithm, version, parameters!.split(',').sort()], ['argon2id', 'v=19', ['m=19456', 'p=1', 't=2']])
    t.not(user?.codes.activation?.hash, event.data.code)
    t.notMatch(JSON.stringify({ ...user, outbox: {} }), new RegExp(`"${event.data.code}"`), 'the digits are stored nowhere but in the unsent event')
  })

  t.test('an email whose account is not activated gives 200, a fresh code, and the new password', async (t) => {
    const first = await registerAndReadCode(app, events, 'again@example.com', 'first-password')
    const response = await register(app, 'again@example.com', 'second-password')
    t.equal(response.statusCode, 200)
    t.match(response.json(), { status: 'success', attempts_left: 5 })
    await events.next(() => eventsFor(events, 'again@example.com').length === 2)
    const second = eventsFor(events, 'again@example.com')[1]!.event.data.code
    const oldPassword = await app.inject({ method: 'POST', url: '/verify', headers: { authorization: basic('again@example.com', 'first-password') }, payload: { verification_code: second } })
    t.equal(oldPassword.statusCode, 401, 'the old password no longer works')
    if (first !== second) {
      const oldCode = await app.inject({ method: 'POST', url: '/verify', headers: { authorization: basic('again@example.com', 'second-password') }, payload: { verification_code: first } })
      t.equal(oldCode.statusCode, 403, 'the old code no longer works')
    }
    const activated = await app.inject({ method: 'POST', url: '/verify', headers: { authorization: basic('again@example.com', 'second-password') }, payload: { verification_code: second } })
    t.equal(activated.statusCode, 200)
  })

  t.test('the email of an activated account gives 409 EMAIL_TAKEN', async (t) => {
    const code = await registerAndReadCode(app, events, 'taken@example.com', 'testpassword')
    const verified = await app.inject({ method: 'POST', url: '/verify', headers: { authorization: basic('taken@example.com', 'testpassword') }, payload: { verification_code: code } })
    t.equal(verified.statusCode, 200)
    const response = await register(app, 'TAKEN@example.com', 'another-password')
    t.equal(response.statusCode, 409)
    t.match(response.json(), { status: 'error', code: 'EMAIL_TAKEN' })
  })

  t.test('emails are trimmed, lower-cased and NFC-normalised: one account per address', async (t) => {
    const composed = 'ren\u00e9@b\u00fccher.example'
    const decomposed = ' RENE\u0301@BU\u0308CHER.example '
    const first = await register(app, 'rene@b\u00fccher.example', 'testpassword')
    t.equal(first.statusCode, 201)
    t.equal(first.json().email, 'rene@xn--bcher-kva.example', 'an internationalised domain is stored as SMTP carries it')
    const second = await register(app, ' RENE@BU\u0308CHER.example ', 'testpassword')
    t.equal(second.statusCode, 200, 'the same mailbox, so the same pending account')
    t.equal(await usersOf(app).countDocuments({ email: 'rene@xn--bcher-kva.example' }), 1)
    for (const undeliverable of [composed, decomposed]) {
      const refused = await register(app, undeliverable, 'testpassword')
      t.equal(refused.statusCode, 400, 'a non-ASCII local part cannot be mailed safely, so it is refused up front')
      t.equal(refused.json().code, 'EMAIL_INVALID')
    }
  })

  t.test('password rules: 8 to 256 characters, common passwords refused, never trimmed', async (t) => {
    const cases: Array<[string, string]> = [
      ['short12', 'PASSWORD_TOO_SHORT'],
      ['x'.repeat(257), 'PASSWORD_TOO_LONG'],
      ['password', 'PASSWORD_TOO_COMMON'],
      ['12345678', 'PASSWORD_TOO_COMMON']
    ]
    for (const [password, code] of cases) {
      const response = await register(app, 'rules@example.com', password)
      t.equal(response.statusCode, 400, code)
      t.match(response.json(), { status: 'error', code, field: 'password' })
    }
    t.equal((await register(app, 'emoji@example.com', '🔑🔑🔑🔑🔑🔑🔑🔑')).statusCode, 201, '8 code points are enough')
    t.equal((await register(app, 'long@example.com', 'y'.repeat(256))).statusCode, 201)
    const spaced = await register(app, 'spaced@example.com', '  padded password  ')
    t.equal(spaced.statusCode, 201)
    const trimmed = await app.inject({ method: 'POST', url: '/verify/resend', headers: { authorization: basic('spaced@example.com', 'padded password') } })
    t.equal(trimmed.statusCode, 401, 'the password is used exactly as received')
  })

  t.test('bad input gets a clear 4xx with a stable code, never a 500', async (t) => {
    const bad: Array<[object | string, string | undefined, number, string]> = [
      [{ email: 'not-an-email', password: 'testpassword' }, undefined, 400, 'EMAIL_INVALID'],
      [{ email: 'a@b', password: 'testpassword' }, undefined, 400, 'EMAIL_INVALID'],
      [{ email: '"quoted local"@example.com', password: 'testpassword' }, undefined, 400, 'EMAIL_INVALID'],
      [{ email: 'a@example.com\r\nBcc: b@example.com', password: 'testpassword' }, undefined, 400, 'EMAIL_INVALID'],
      [{ email: 'x@0x7f.1', password: 'testpassword' }, undefined, 400, 'EMAIL_INVALID'],
      [{ email: 'x@2130706433', password: 'testpassword' }, undefined, 400, 'EMAIL_INVALID'],
      [{ email: 'x@127.0.0.1', password: 'testpassword' }, undefined, 400, 'EMAIL_INVALID'],
      [{ password: 'testpassword' }, undefined, 400, 'VALIDATION_FAILED'],
      [{ email: 'x@example.com' }, undefined, 400, 'VALIDATION_FAILED'],
      [{ email: { $gt: '' }, password: 'testpassword' }, undefined, 400, 'VALIDATION_FAILED'],
      [{ email: ['a@example.com', 'b@example.com'], password: 'testpassword' }, undefined, 400, 'VALIDATION_FAILED'],
      ['{"email": "broken', 'application/json', 400, 'BAD_REQUEST'],
      ['email=x', 'text/plain', 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['<xml/>', 'application/xml', 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [JSON.stringify({ email: 'big@example.com', password: 'p'.repeat(70_000) }), 'application/json', 413, 'BODY_TOO_LARGE']
    ]
    for (const [payload, contentType, status, code] of bad) {
      const response = await app.inject({
        method: 'POST',
        url: '/register',
        payload: payload as string,
        ...(contentType ? { headers: { 'content-type': contentType } } : {})
      })
      t.equal(response.statusCode, status, `${code} for ${JSON.stringify(payload).slice(0, 60)}`)
      t.match(response.json(), { status: 'error', code })
    }
  })

  t.test('extra fields cannot grant anything', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/register', payload: { email: 'mass@example.com', password: 'testpassword', status: 'active', roles: ['admin'] } })
    t.equal(response.statusCode, 201)
    const user = await app.accounts.byEmail('mass@example.com')
    t.equal(user?.status, 'pending')
    t.same(user?.roles, ['user'])
  })

  t.test('one client network may spend only its share of an address\'s code mails: the owner keeps the rest', async (t) => {
    const email = 'contested@example.com'
    const attacker = '203.0.113.7'
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await register(app, email, 'attacker-password', attacker)).statusCode)
    const share = config.CODE_MAILS_PER_NETWORK_PER_DAY
    t.same(statuses, [201, ...Array(share - 1).fill(200), ...Array(6 - share).fill(429)], 'the attacker\'s network is cut off at its share')
    const neighbour = await register(app, email, 'attacker-password', '203.0.113.99')
    t.equal(neighbour.statusCode, 429, 'the same /24 shares it')
    const owner = await register(app, email, 'owner-password', '198.51.100.20')
    t.equal(owner.statusCode, 200, 'the owner, from another network, still gets a code')
    t.equal((await app.accounts.byEmail(email))?.mailQuota.activation?.sent, share + 1)
  })

  t.test('50 parallel registrations of one email make exactly one account', async (t) => {
    const email = 'parallel@example.com'
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => register(app, i % 2 ? email : email.toUpperCase(), 'testpassword')))
    const statuses = responses.map((r) => r.statusCode)
    t.equal(statuses.filter((s) => s === 201).length, 1, 'one creation')
    t.equal(statuses.filter((s) => s === 200).length, config.CODE_MAILS_PER_DAY - 1, 'the next ones refresh the pending account, up to the daily mail cap')
    t.equal(statuses.filter((s) => s === 429).length, 50 - config.CODE_MAILS_PER_DAY, 'the rest are refused: no mail bombing')
    t.ok(responses.filter((r) => r.statusCode === 429).every((r) => r.json().code === 'CODE_MAIL_LIMIT' && Number(r.headers['retry-after']) > 0))
    t.equal(await usersOf(app).countDocuments({ email }), 1)
    t.equal((await app.accounts.byEmail(email))?.mailQuota.activation?.sent, config.CODE_MAILS_PER_DAY)
  })
})
