import t from 'tap'
import { composeCodeMail, escapeHtml, secondsLeft } from '../src/mail/code-mail.js'
import { isDeliverableAddress } from '@latchkey/shared'
import { currentAttempt, retryDelayMs } from '../src/mail-events/retry-policy.js'
import { parseMailEvent } from '../src/mail-events/mail-event.js'

const now = new Date('2026-01-01T00:00:00.000Z')

t.test('the mail says how long the code lives, counted from its expiry', async (t) => {
  const mail = composeCodeMail('activation', { userId: 'u', email: 'a@b.example', code: '1234', codeExpiresAt: '2026-01-01T00:00:45.900Z' }, now)
  t.equal(mail.subject, 'Your Latchkey activation code: 1234')
  t.match(mail.text, /valid for 45 seconds/)
  t.equal(secondsLeft('2025-12-31T23:59:00.000Z', now), 0, 'never negative')
})

t.test('HTML is escaped', async (t) => {
  t.equal(escapeHtml('<a href="x">&\'</a>'), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;')
})

t.test('only plain recipient addresses are accepted', async (t) => {
  for (const good of ['alice@example.com', 'a.b+tag@sub.example.org', 'x_y-z@a-b.io']) t.ok(isDeliverableAddress(good), good)
  for (const bad of ['a@x.io\r\nBcc: evil@y.io', '"a@x.io x"@internal.domain', 'a@b@c.io', '<a@x.io>', 'a b@x.io', '@x.io', 'a@', 'a@localhost', `${'a'.repeat(65)}@x.io`, 'a@-x.io', 'ä@x.io']) {
    t.notOk(isDeliverableAddress(bad), JSON.stringify(bad))
  }
})

t.test('backoff doubles per failed attempt and is capped', async (t) => {
  const policy = { maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 60_000 }
  t.same([1, 2, 3, 4, 7, 8].map((attempt) => retryDelayMs(attempt, policy)), [1000, 2000, 4000, 8000, 60_000, 60_000])
  t.equal(currentAttempt(undefined), 1)
  t.equal(currentAttempt({ 'x-latchkey-attempt': 3 }), 4)
  t.equal(currentAttempt({ 'x-latchkey-attempt': 'junk' }), 1)
})

t.test('events that are not mail-worthy are refused with a reason', async (t) => {
  const envelope = { specversion: '1.0', id: 'e1', source: 's', time: now.toISOString(), datacontenttype: 'application/json' }
  const data = { userId: 'u', email: 'a@b.example', code: '1234', codeExpiresAt: now.toISOString() }
  t.match(parseMailEvent(Buffer.from(JSON.stringify({ ...envelope, type: 'user.registered', data }))), { valid: true, event: { purpose: 'activation' } })
  t.match(parseMailEvent(Buffer.from(JSON.stringify({ ...envelope, type: 'user.deleted', data }))), { valid: false, eventId: 'e1', reason: /not mailed/ })
  t.match(parseMailEvent(Buffer.from(JSON.stringify({ ...envelope, type: 'user.registered', data: { ...data, code: '12ab' } }))), { valid: false, reason: /bad data/ })
  t.match(parseMailEvent(Buffer.from('nope')), { valid: false, reason: 'body is not JSON' })
})
