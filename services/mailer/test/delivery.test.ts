import t from 'tap'
import { EventTypes } from '@latchkey/shared'
import { buildTestApp, codeEvent, findDelivery, inboxFor, publishEvent, sleep, uniqueRecipient, waitFor, waitForMail } from './helper.js'

t.test('a user.registered event becomes exactly one activation mail', async (t) => {
  const { app, config, servers } = await buildTestApp(t)
  const to = uniqueRecipient('registered')
  const event = codeEvent(EventTypes.userRegistered, to, { code: '4821', expiresInMs: 60_000 })

  await publishEvent(config, event)
  const mails = await waitForMail(servers.inboxApi, to)
  await sleep(500)

  const all = await inboxFor(servers.inboxApi, to)
  t.equal(all.length, 1, 'exactly one mail')
  const [mail] = mails
  t.equal(mail?.subject, 'Your Latchkey activation code: 4821', 'code in the subject')
  t.match(mail?.text, /4821/, 'code in the text part')
  t.match(mail?.text, /valid for (59|60) seconds/, 'says how long the code lives')
  t.match(mail?.text, /If this wasn't you, ignore this mail/)
  t.match(mail?.html, /<strong>4821<\/strong>/, 'has an HTML part with the code')
  t.match(mail?.html, /If this wasn&#39;t you/, 'HTML text is escaped')
  t.equal(mail?.headers['x-latchkey-event-id'], event.id, 'carries the event id')

  const record = await app.deliveries.find(event.id)
  t.match(record, { status: 'sent', type: 'user.registered', attempts: 1 }, 'recorded as sent')
  t.ok(record?.sentAt instanceof Date)
  t.notMatch(JSON.stringify(record), /mailer-test\.example/, 'the record keeps no recipient address')
  t.notOk(record?.holder ?? record?.leaseUntil, 'no claim left behind')
})

t.test('password reset and resend events get their own wording', async (t) => {
  const { config, servers } = await buildTestApp(t)
  const resetTo = uniqueRecipient('reset')
  const resendTo = uniqueRecipient('resend')

  await publishEvent(config, codeEvent(EventTypes.passwordResetRequested, resetTo, { code: '0042' }))
  await publishEvent(config, codeEvent(EventTypes.activationCodeRequested, resendTo, { code: '7310' }))

  const [reset] = await waitForMail(servers.inboxApi, resetTo)
  const [resend] = await waitForMail(servers.inboxApi, resendTo)
  t.equal(reset?.subject, 'Your Latchkey password reset code: 0042', 'leading zeros kept')
  t.match(reset?.text, /choose a new password/)
  t.equal(resend?.subject, 'Your Latchkey activation code: 7310')
})

t.test('a redelivered event does not send a second mail', async (t) => {
  const { app, config, servers } = await buildTestApp(t)
  const to = uniqueRecipient('duplicate')
  const event = codeEvent(EventTypes.userRegistered, to)

  // Two copies at once (as after a publisher retry), then a third once the first is surely sent.
  await publishEvent(config, event)
  await publishEvent(config, event)
  await waitForMail(servers.inboxApi, to)
  await waitFor(() => app.inboxEvents.stats.alreadySent >= 1, { timeoutMs: 10_000, what: 'the second copy to be skipped' })
  await publishEvent(config, event)
  await waitFor(() => app.inboxEvents.stats.alreadySent >= 2, { timeoutMs: 10_000, what: 'the third copy to be skipped' })
  await sleep(1500)

  t.equal((await inboxFor(servers.inboxApi, to)).length, 1, 'still exactly one mail')
  t.equal(app.inboxEvents.stats.sent, 1)
})

t.test('an expired code is dropped, not mailed', async (t) => {
  const { app, config, servers } = await buildTestApp(t)
  const expiredTo = uniqueRecipient('expired')
  const freshTo = uniqueRecipient('fresh')
  const expired = codeEvent(EventTypes.userRegistered, expiredTo, { expiresInMs: -1000 })

  await publishEvent(config, expired)
  await publishEvent(config, codeEvent(EventTypes.userRegistered, freshTo))

  await waitFor(async () => (await app.deliveries.find(expired.id))?.status === 'dropped-expired',
    { timeoutMs: 10_000, what: 'the expired code to be dropped' })
  await waitForMail(servers.inboxApi, freshTo)
  await sleep(1000)
  t.equal((await inboxFor(servers.inboxApi, expiredTo)).length, 0, 'no mail for the expired code')
  t.equal(app.inboxEvents.stats.droppedExpired, 1)
  t.equal(app.inboxEvents.stats.deadLettered, 0, 'dropped on purpose, not dead-lettered')
})

t.test('closing the app lets the mail in hand finish first', async (t) => {
  const { app, config, servers } = await buildTestApp(t)
  const to = uniqueRecipient('shutdown')
  const event = codeEvent(EventTypes.userRegistered, to)

  await publishEvent(config, event)
  await waitFor(() => app.inboxEvents.stats.received >= 1, { timeoutMs: 10_000, what: 'the message to arrive', intervalMs: 1 })
  t.equal(app.inboxEvents.stats.sent, 0, 'still in flight when close starts')
  await app.close()

  t.equal(app.inboxEvents.stats.sent, 1, 'sent before close returned')
  t.equal((await inboxFor(servers.inboxApi, to)).length, 1)
  t.equal((await findDelivery(config.MONGO_URL, event.id))?.status, 'sent', 'recorded while MongoDB was still open')
})
