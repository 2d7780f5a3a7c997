import t from 'tap'
import { MongoClient } from 'mongodb'
import { EventTypes } from '@latchkey/shared'
import type { DeliveryRecord } from '../src/delivery/delivery-log.js'
import { eventually, inboxFor } from '@latchkey/shared/test-support'
import { buildTestApp, codeEvent, findDelivery, publishEvent, publishThreeCopies, settled, uniqueRecipient, waitForMail } from './helper.js'

t.test('a user.registered event becomes exactly one activation mail', async (t) => {
  const testApp = await buildTestApp(t)
  const { app, config, servers } = testApp
  const to = uniqueRecipient('registered')
  const event = codeEvent(EventTypes.userRegistered, to, { code: '4821', expiresInMs: 60_000 })

  await publishEvent(config, event)
  const mails = await waitForMail(servers.inboxApi, to)
  // The event is settled and nothing waits in a queue: the inbox is final.
  await settled(testApp)

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
  const testApp = await buildTestApp(t)
  const { app, servers } = testApp
  const to = uniqueRecipient('duplicate')

  await publishThreeCopies(testApp, codeEvent(EventTypes.userRegistered, to))

  t.equal((await inboxFor(servers.inboxApi, to)).length, 1, 'still exactly one mail')
  t.equal(app.mailEvents.stats.sent, 1)
})

t.test('an expired code is dropped, not mailed', async (t) => {
  const testApp = await buildTestApp(t)
  const { app, config, servers } = testApp
  const expiredTo = uniqueRecipient('expired')
  const freshTo = uniqueRecipient('fresh')
  const expired = codeEvent(EventTypes.userRegistered, expiredTo, { expiresInMs: -1000 })

  await publishEvent(config, expired)
  await publishEvent(config, codeEvent(EventTypes.userRegistered, freshTo))

  await eventually(async () => (await app.deliveries.find(expired.id))?.status === 'dropped-expired',
    { timeoutMs: 10_000, what: 'the expired code to be dropped' })
  await waitForMail(servers.inboxApi, freshTo)
  await settled(testApp, { received: 2 })
  t.equal((await inboxFor(servers.inboxApi, expiredTo)).length, 0, 'no mail for the expired code')
  t.equal(app.mailEvents.stats.droppedExpired, 1)
  t.equal(app.mailEvents.stats.deadLettered, 0, 'dropped on purpose, not dead-lettered')
})

t.test('closing the app lets the mail in hand finish first', async (t) => {
  const { app, config, servers } = await buildTestApp(t)
  const to = uniqueRecipient('shutdown')
  const event = codeEvent(EventTypes.userRegistered, to)

  await publishEvent(config, event)
  await eventually(() => app.mailEvents.stats.received >= 1, { timeoutMs: 10_000, what: 'the message to arrive', intervalMs: 1 })
  t.equal(app.mailEvents.stats.sent, 0, 'still in flight when close starts')
  await app.close()

  t.equal(app.mailEvents.stats.sent, 1, 'sent before close returned')
  t.equal((await inboxFor(servers.inboxApi, to)).length, 1)
  t.equal((await findDelivery(config.MONGO_URL, event.id))?.status, 'sent', 'recorded while MongoDB was still open')
})

t.test('the running mailer deletes delivery records past their retention', async (t) => {
  const { app, config, servers } = await buildTestApp(t, { DELIVERY_SWEEP_INTERVAL_MS: '200' })
  const to = uniqueRecipient('retention')
  const event = codeEvent(EventTypes.userRegistered, to)
  await publishEvent(config, event)
  await waitForMail(servers.inboxApi, to)
  await eventually(async () => (await app.deliveries.find(event.id))?.status === 'sent', { timeoutMs: 5000, what: 'the record' })

  // A record written a week ago, as the mailer would have, with its retention run out.
  const client = new MongoClient(config.MONGO_URL)
  t.teardown(async () => await client.close())
  const old = new Date(Date.now() - 7 * 24 * 3_600_000)
  await client.db().collection<DeliveryRecord>('deliveries').insertOne({ _id: 'old-event', type: EventTypes.userRegistered, status: 'sent', attempts: 1, sentAt: old, updatedAt: old, expiresAt: new Date(Date.now() - 1000) })

  await eventually(async () => await app.deliveries.find('old-event') === null, { timeoutMs: 5000, what: 'the old record to be swept' })
  t.match(await app.deliveries.find(event.id), { status: 'sent' }, 'the recent record stays')
  const expiresIn = (await app.deliveries.find(event.id))!.expiresAt.getTime() - Date.now()
  t.ok(expiresIn > 167 * 3_600_000 && expiresIn <= 168 * 3_600_000, 'kept for the default retention of 168 hours')
  const indexes = await client.db().collection('deliveries').indexes()
  t.match(indexes.find((index) => index.name === 'expiresAt_ttl'), { key: { expiresAt: 1 }, expireAfterSeconds: 0 }, 'a TTL index for servers that run a TTL monitor')
})
