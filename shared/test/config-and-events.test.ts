import t from 'tap'
import { Type } from 'typebox'
import { Value } from 'typebox/value'
import { ConfigError, loadConfig } from '../src/config.js'
import { CloudEventEnvelope, createEvent, EventTypes } from '../src/events.js'
import { loggerOptions } from '../src/logging.js'
import { isDeliverableAddress, normalizeEmail } from '../src/account-rules.js'

const Schema = Type.Object({
  PORT: Type.Integer({ default: 3000, minimum: 1, maximum: 65535 }),
  URL: Type.String({ pattern: '^amqp://' }),
  FLAG: Type.Boolean({ default: false })
})

t.test('loadConfig applies defaults, coerces and drops unknown keys', async (t) => {
  const config = loadConfig(Schema, { URL: 'amqp://x', FLAG: 'true', SOMETHING_ELSE: 'ignored' })
  t.same(config, { PORT: 3000, URL: 'amqp://x', FLAG: true })
  t.equal(loadConfig(Schema, { URL: 'amqp://x', PORT: '8080' }).PORT, 8080)
})

t.test('loadConfig stops with a message naming the bad key', async (t) => {
  t.throws(() => loadConfig(Schema, { URL: 'http://nope' }), { name: 'ConfigError', message: /URL/ })
  t.throws(() => loadConfig(Schema, { URL: 'amqp://x', PORT: 'eighty' }), ConfigError)
  t.throws(() => loadConfig(Schema, {}), { message: /URL/ })
})

t.test('createEvent makes a valid CloudEvents 1.0 envelope with a fresh id', async (t) => {
  const a = createEvent(EventTypes.userRegistered, '/latchkey/test', { hello: 'world' }, 'user-1')
  const b = createEvent(EventTypes.userRegistered, '/latchkey/test', { hello: 'world' })
  t.ok(Value.Check(CloudEventEnvelope, a))
  t.match(a, { specversion: '1.0', type: 'user.registered', source: '/latchkey/test', subject: 'user-1', datacontenttype: 'application/json', data: { hello: 'world' } })
  t.not(a.id, b.id)
  t.notOk('subject' in b)
  t.ok(!Number.isNaN(Date.parse(a.time)))
})

t.test('logs redact credentials', async (t) => {
  const options = loggerOptions('svc', 'info', 'one')
  const redact = options.redact as { paths: string[] }
  for (const path of ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.refresh_token', '*.verification_code']) {
    t.ok(redact.paths.includes(path), path)
  }
})

t.test('addresses: one spelling per mailbox, and only what SMTP can carry safely', async (t) => {
  t.equal(normalizeEmail('  Foo@Bar.COM '), 'foo@bar.com')
  t.equal(normalizeEmail('x@bu\u0308cher.de'), normalizeEmail('X@BÜCHER.de'), 'composed and decomposed Unicode meet')
  t.equal(normalizeEmail('x@bücher.de'), 'x@xn--bcher-kva.de', 'internationalised domains become punycode')
  for (const good of ['foo@bar.com', 'a.b+tag@sub.example.org', 'x@xn--bcher-kva.de']) t.ok(isDeliverableAddress(good), good)
  for (const bad of ['rené@example.com', '"a b"@example.com', 'a@b', 'a@@b.com', 'a@b.com\r\nBcc: x@y.z', 'a<b>@example.com', '@example.com', `${'x'.repeat(65)}@example.com`]) {
    t.notOk(isDeliverableAddress(normalizeEmail(bad)), JSON.stringify(bad))
  }
})
