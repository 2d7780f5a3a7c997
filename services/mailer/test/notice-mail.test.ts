import t from 'tap'
import { codeDeliveryEventTypes, noticeEventTypes, type PasswordChangedData } from '@latchkey/shared'
import { composePasswordNotice, describeTime } from '../src/mail/notice-mail.js'
import { mailEventTypes, parseMailEvent } from '../src/mail-events/mail-event.js'

const time = '2026-12-04T21:12:31.123Z'
const data: PasswordChangedData = { userId: 'u1', email: 'owner@example.com', sessionIds: ['s1', 's2'], how: 'changed' }

t.test('a changed password: what happened, when, and what to do if it was not the owner', async (t) => {
  const mail = composePasswordNotice(data, time)
  t.equal(mail.subject, 'Your Latchkey password was changed')
  t.match(mail.text, 'The password of your Latchkey account owner@example.com was changed on 4 December 2026 at 21:12:31 UTC.')
  t.match(mail.text, 'Every session of the account was signed out.')
  t.match(mail.text, 'If it was you, there is nothing more to do.')
  t.match(mail.text, /If it wasn't, someone else knows your password: choose a new password with "Forgot password" on the sign-in page now\./)
  t.match(mail.html, /<p>The password of your Latchkey account owner@example\.com was changed on 4 December 2026 at 21:12:31 UTC\./)
  t.match(mail.html, /If it wasn&#39;t, .* with &quot;Forgot password&quot; on the sign-in page/, 'HTML text is escaped')
})

t.test('a reset password says it was reset through the mailed code', async (t) => {
  const mail = composePasswordNotice({ ...data, how: 'reset' }, time)
  t.equal(mail.subject, 'Your Latchkey password was reset')
  t.match(mail.text, 'owner@example.com was reset through a code mailed to this address on 4 December 2026 at 21:12:31 UTC.')
  t.match(mail.text, /secure it, then choose a new password with "Forgot password"/)
})

t.test('a password set by an operator sends the owner to the administrator, not to a reset', async (t) => {
  const mail = composePasswordNotice({ ...data, how: 'operator' }, time)
  t.equal(mail.subject, 'Your Latchkey password was set by an administrator')
  t.match(mail.text, 'An administrator set a new password for your Latchkey account owner@example.com on 4 December 2026 at 21:12:31 UTC.')
  t.match(mail.text, 'If you did not ask for this, contact your Latchkey administrator.')
  t.notMatch(mail.text, /Forgot password|nothing more to do/)
})

t.test('a notice carries no secret and no link, and every value in its HTML is escaped', async (t) => {
  const hostile = { ...data, userId: 'user-id-1', sessionIds: ['session-id-1'], email: '<b>"x"&\'y\'</b>@example.com' }
  for (const how of ['changed', 'reset', 'operator'] as const) {
    const mail = composePasswordNotice({ ...hostile, how }, time)
    for (const part of [mail.subject, mail.text, mail.html]) {
      t.notMatch(part.replace(describeTime(time), 'TIME'), /user-id-1|session-id-1|https?:|href|[0-9]{4,}/, `${how}: no ids, links or codes`)
    }
    t.match(mail.html, ' &lt;b&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/b&gt;@example.com ', `${how}: the address is escaped`)
    t.notMatch(mail.html, '<b>', `${how}: no markup from the event`)
  }
  t.equal(describeTime('2026-01-01T00:00:00Z'), '1 January 2026 at 00:00:00 UTC', 'always UTC')
})

t.test('a password_changed event becomes a notice, validated strictly', async (t) => {
  const envelope = { specversion: '1.0', id: 'e1', source: 's', type: 'user.password_changed', time, datacontenttype: 'application/json' }
  const parse = (event: object): ReturnType<typeof parseMailEvent> => parseMailEvent(Buffer.from(JSON.stringify(event)))
  t.match(parse({ ...envelope, data }), { valid: true, event: { kind: 'notice', id: 'e1', time, data } })
  t.notOk('purpose' in ((parse({ ...envelope, data }) as { event?: object }).event ?? {}), 'a notice has no code purpose')
  const { how: _how, ...withoutHow } = data
  t.match(parse({ ...envelope, data: withoutHow }), { valid: false, eventId: 'e1', reason: /bad data: .*how/ }, 'no `how`: refused, not guessed')
  t.match(parse({ ...envelope, data: { ...data, how: 'guessed' } }), { valid: false, reason: /bad data/ })
  t.match(parse({ ...envelope, data: { ...data, email: undefined } }), { valid: false, reason: /bad data/ })
  t.match(parse({ ...envelope, data: { ...data, email: 'a@b.example\r\nBcc: evil@c.example' } }), { valid: false, reason: 'recipient address is not a plain address' })
  t.match(parse({ ...envelope, time: 'yesterday', data }), { valid: false, reason: 'event time is not a date-time' })
  t.match(parse({ ...envelope, type: 'user.registered', data: { userId: 'u', email: 'a@b.example', code: '1234', codeExpiresAt: time } }),
    { valid: true, event: { kind: 'code', purpose: 'activation' } }, 'a code mail stays a code mail')
})

t.test('the mailer binds every event the shared contract says it must mail, and nothing else', async (t) => {
  t.same([...mailEventTypes].sort(), [...codeDeliveryEventTypes, ...noticeEventTypes].sort())
})
