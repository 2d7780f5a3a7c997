import t from 'tap'
import { EventTypes } from '@latchkey/shared'
import { eventually, inboxFor, sampleValue, scrapeMetrics } from '@latchkey/shared/test-support'
import { buildTestApp, codeEvent, drainDeadLetters, isRoutable, passwordChangedEvent, publishEvent, publishThreeCopies, uniqueRecipient, waitForMail, type DeadLetter } from './helper.js'

t.test('a user.password_changed event becomes one notice to the owner, without secrets', async (t) => {
  const { app, config, servers } = await buildTestApp(t)
  t.ok(await isRoutable(config, EventTypes.passwordChanged), 'the queue binds user.password_changed (auth-api publishes it mandatory)')
  const to = uniqueRecipient('password-changed')
  const event = passwordChangedEvent(to, 'changed')

  await publishEvent(config, event)
  const [mail] = await waitForMail(servers.inboxApi, to)
  await eventually(() => app.mailEvents.stats.sent === 1, { timeoutMs: 5000, what: 'the notice to be recorded' })

  t.equal(mail?.subject, 'Your Latchkey password was changed')
  t.same(mail?.to, [to.toLowerCase()], 'to the address in the event')
  t.match(mail?.text, `The password of your Latchkey account ${to} was changed on `)
  t.match(mail?.text, /"Forgot password"/, 'says what to do if it was not them')
  t.match(mail?.html, /<p>The password of your Latchkey account .* was changed on .* UTC\./, 'has an HTML part')
  t.match(mail?.html, /If it wasn&#39;t/, 'HTML text is escaped')
  for (const part of [mail?.text, mail?.html]) {
    t.notMatch(part, new RegExp(`${event.data.userId}|${event.data.sessionIds[0]}|https?:|href`), 'no ids and no link')
  }
  t.equal(mail?.headers['x-latchkey-event-id'], event.id, 'carries the event id')
  t.match(await app.deliveries.find(event.id), { status: 'sent', type: EventTypes.passwordChanged, attempts: 1 }, 'recorded as sent')

  const samples = await scrapeMetrics(app.metrics.url)
  t.equal(sampleValue(samples, 'mailer_deliveries_total', { result: 'sent', kind: 'notice' }), 1, 'counted as a notice')
  t.equal(sampleValue(samples, 'mailer_deliveries_total', { kind: 'code' }), undefined, 'not as a code mail')
  t.notOk(sampleValue(samples, 'mailer_code_mail_latency_seconds_count'), 'a notice is not timed as a code mail')
})

t.test('a reset and an operator-set password get their own wording', async (t) => {
  const { config, servers } = await buildTestApp(t)
  const resetTo = uniqueRecipient('password-reset')
  const operatorTo = uniqueRecipient('password-operator')

  await publishEvent(config, passwordChangedEvent(resetTo, 'reset'))
  await publishEvent(config, passwordChangedEvent(operatorTo, 'operator'))

  const [reset] = await waitForMail(servers.inboxApi, resetTo)
  const [operator] = await waitForMail(servers.inboxApi, operatorTo)
  t.equal(reset?.subject, 'Your Latchkey password was reset')
  t.match(reset?.text, /"Forgot password"/)
  t.equal(operator?.subject, 'Your Latchkey password was set by an administrator')
  t.match(operator?.text, /contact your Latchkey administrator/)
  t.notMatch(operator?.text, /Forgot password/)
})

t.test('a redelivered notice is not mailed twice', async (t) => {
  const testApp = await buildTestApp(t)
  const { app, servers } = testApp
  const to = uniqueRecipient('notice-duplicate')
  const event = passwordChangedEvent(to, 'reset')

  await publishThreeCopies(testApp, event)

  t.equal(app.mailEvents.stats.received, 3)
  t.equal(app.mailEvents.stats.sent, 1)
  t.equal((await inboxFor(servers.inboxApi, to)).length, 1, 'exactly one notice')
  t.match(await app.deliveries.find(event.id), { status: 'sent', attempts: 1 })
})

t.test('a malformed notice is dead-lettered on its first delivery, and the rest still flows', async (t) => {
  const { app, config, servers } = await buildTestApp(t)
  const noHowTo = uniqueRecipient('notice-no-how')
  const good = uniqueRecipient('after-bad-notice')
  const valid = passwordChangedEvent(noHowTo)
  const { how: _how, ...withoutHow } = valid.data
  const noHow = { ...valid, data: withoutHow }
  const badTime = { ...passwordChangedEvent(uniqueRecipient('notice-bad-time')), time: 'yesterday' }
  // A code mail's data under the notice's type is no notice either.
  const codeData = { ...codeEvent(EventTypes.userRegistered, uniqueRecipient('notice-code-data')), type: EventTypes.passwordChanged }

  await publishEvent(config, noHow)
  await publishEvent(config, badTime)
  await publishEvent(config, codeData)
  await publishEvent(config, passwordChangedEvent(good))

  await waitForMail(servers.inboxApi, good)
  const letters: DeadLetter[] = []
  await eventually(async () => { letters.push(...await drainDeadLetters(config)); return letters.length >= 3 },
    { timeoutMs: 10_000, what: 'three dead letters' })

  t.same(letters.map((letter) => letter.body).sort(), [noHow, badTime, codeData].map((event) => JSON.stringify(event)).sort(), 'the three bad notices, unchanged')
  for (const letter of letters) {
    t.equal(letter.headers['x-first-death-reason'], 'rejected', 'rejected by the consumer')
    t.notOk(letter.headers['x-latchkey-attempt'], 'never went through the retry queue')
  }
  t.equal(app.mailEvents.stats.deadLettered, 3)
  t.equal(app.mailEvents.stats.retried, 0)
  t.equal(app.mailEvents.stats.sent, 1, 'the good notice was mailed')
  t.equal((await inboxFor(servers.inboxApi, noHowTo)).length, 0, 'no guessed wording for an event without `how`')
  t.equal(await app.deliveries.find(noHow.id), null, 'a refused event leaves no delivery record')
})
