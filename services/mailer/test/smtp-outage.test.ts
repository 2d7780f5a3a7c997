import t from 'tap'
import getPort from 'get-port'
import { EventTypes } from '@latchkey/shared'
import { eventually, inboxFor } from '@latchkey/shared/test-support'
import { buildTestApp, codeEvent, drainDeadLetters, publishEvent, settled, startMailHog, startRefusingSmtp, uniqueRecipient, waitForMail } from './helper.js'

t.test('while SMTP is down mails are retried with backoff, then delivered once it is back', async (t) => {
  const smtpPort = await getPort({ host: '127.0.0.1' })
  const testApp = await buildTestApp(t, {
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    RETRY_BASE_DELAY_MS: '200',
    RETRY_MAX_DELAY_MS: '1000',
    MAX_DELIVERY_ATTEMPTS: '30'
  })
  const { app, config } = testApp
  const to = uniqueRecipient('outage')
  const shortLivedTo = uniqueRecipient('outage-expired')
  const event = codeEvent(EventTypes.userRegistered, to, { code: '5150', expiresInMs: 60_000 })
  const shortLived = codeEvent(EventTypes.userRegistered, shortLivedTo, { expiresInMs: 1500 })

  await publishEvent(config, event)
  await publishEvent(config, shortLived)
  await eventually(() => app.mailEvents.stats.retried >= 4, { timeoutMs: 10_000, what: 'a few retries' })
  t.equal(app.mailEvents.stats.sent, 0, 'nothing sent while SMTP is down')
  t.match(await app.deliveries.find(event.id), { status: 'retrying' }, 'the claim is released between attempts')
  const ready = await app.inject({ method: 'GET', url: '/ready' })
  t.equal(ready.statusCode, 503, 'not ready without SMTP')

  // The short-lived code expires during the outage: later attempts drop it instead of sending it.
  await eventually(async () => (await app.deliveries.find(shortLived.id))?.status === 'dropped-expired',
    { timeoutMs: 10_000, what: 'the short-lived code to be dropped' })
  t.ok((await app.deliveries.find(shortLived.id))!.attempts > 1, 'it was retried before it expired')

  const mailHog = await startMailHog(smtpPort)
  t.teardown(mailHog.stop)
  const [mail] = await waitForMail(mailHog.inboxApi, to, 15_000)
  t.equal(mail?.subject, 'Your Latchkey activation code: 5150', 'delivered once SMTP is back')
  // Both events are settled and no copy waits in a queue: no later mail can come.
  await settled(testApp, { received: 2 })
  t.equal((await inboxFor(mailHog.inboxApi, to)).length, 1, 'exactly one mail')
  t.equal((await inboxFor(mailHog.inboxApi, shortLivedTo)).length, 0, 'the expired code is never mailed late')
  const record = await app.deliveries.find(event.id)
  t.equal(record?.status, 'sent')
  t.ok(record!.attempts > 1, `sent on attempt ${record?.attempts}`)
  t.equal(app.mailEvents.stats.deadLettered, 0)
})

t.test('when every attempt fails the message ends in the dead-letter queue', async (t) => {
  const { app, config } = await buildTestApp(t, {
    SMTP_URL: `smtp://127.0.0.1:${await getPort({ host: '127.0.0.1' })}`,
    RETRY_BASE_DELAY_MS: '50',
    RETRY_MAX_DELAY_MS: '100',
    MAX_DELIVERY_ATTEMPTS: '3'
  })
  const event = codeEvent(EventTypes.userRegistered, uniqueRecipient('exhausted'))
  await publishEvent(config, event)
  await eventually(() => app.mailEvents.stats.deadLettered === 1, { timeoutMs: 10_000, what: 'the message to be dead-lettered' })
  t.equal(app.mailEvents.stats.retried, 2, 'attempts 1 and 2 were retried, attempt 3 was the last')
  t.match(await app.deliveries.find(event.id), { status: 'failed' })
  const letters = await drainDeadLetters(config)
  t.equal(letters.length, 1, 'in the dead-letter queue')
  t.equal(letters[0]?.body, JSON.stringify(event), 'unchanged')
  t.equal(letters[0]?.headers['x-latchkey-attempt'], 2, 'after two parked retries')
})

t.test('a refused recipient is dead-lettered at once, and its address is kept nowhere', async (t) => {
  const refusing = await startRefusingSmtp()
  t.teardown(refusing.close)
  const { app, config } = await buildTestApp(t, { SMTP_URL: refusing.url })
  const to = uniqueRecipient('refused')
  const event = codeEvent(EventTypes.userRegistered, to)
  await publishEvent(config, event)
  await eventually(() => app.mailEvents.stats.deadLettered === 1, { timeoutMs: 10_000, what: 'the message to be dead-lettered' })
  t.equal(app.mailEvents.stats.retried, 0, 'a 5xx is final: no retry')
  const record = await app.deliveries.find(event.id)
  t.match(record, { status: 'failed', lastError: /550 .*<\[recipient\]>: Recipient address rejected/ }, 'the reason is kept')
  t.notMatch(JSON.stringify(record), /@/, 'but not the address the server quoted')
  t.equal((await drainDeadLetters(config)).length, 1)
})
