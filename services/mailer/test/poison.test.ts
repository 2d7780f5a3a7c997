import t from 'tap'
import { randomUUID } from 'node:crypto'
import { EventTypes } from '@latchkey/shared'
import { eventually } from '@latchkey/shared/test-support'
import { buildTestApp, codeEvent, drainDeadLetters, isRoutable, publish, publishEvent, uniqueRecipient, waitForMail, type DeadLetter } from './helper.js'

t.test('poison messages go to the dead-letter queue on their first delivery, and the rest still flows', async (t) => {
  const { app, config, servers } = await buildTestApp(t)
  const to = uniqueRecipient('after-poison')
  const notJson = '{"specversion":"1.0", this is not JSON'
  const noEmail = { ...codeEvent(EventTypes.userRegistered, 'x@y.example'), data: { userId: 'u', code: '1234', codeExpiresAt: new Date().toISOString() } }
  const injected = codeEvent(EventTypes.userRegistered, 'victim@example.test\r\nBcc: evil@example.test')

  await publish(config, EventTypes.userRegistered, notJson, randomUUID())
  await publishEvent(config, noEmail)
  await publishEvent(config, injected)
  await publishEvent(config, codeEvent(EventTypes.userRegistered, to))

  await waitForMail(servers.inboxApi, to)
  const letters: DeadLetter[] = []
  await eventually(async () => { letters.push(...await drainDeadLetters(config)); return letters.length >= 3 },
    { timeoutMs: 10_000, what: 'three dead letters' })

  t.same(letters.map((letter) => letter.body).sort(), [notJson, JSON.stringify(noEmail), JSON.stringify(injected)].sort(), 'the three bad messages, unchanged')
  for (const letter of letters) {
    t.equal(letter.headers['x-first-death-reason'], 'rejected', 'rejected by the consumer')
    t.notOk(letter.headers['x-latchkey-attempt'], 'never went through the retry queue')
  }
  t.equal(app.mailEvents.stats.retried, 0, 'no retries for poison')
  t.equal(app.mailEvents.stats.deadLettered, 3)
  t.equal(app.mailEvents.stats.sent, 1, 'the good message was mailed')
})

t.test('only mail-worthy event types are bound', async (t) => {
  const { config } = await buildTestApp(t)
  t.ok(await isRoutable(config, EventTypes.userRegistered))
  t.ok(await isRoutable(config, EventTypes.activationCodeRequested))
  t.ok(await isRoutable(config, EventTypes.passwordResetRequested))
  t.ok(await isRoutable(config, EventTypes.passwordChanged), 'the owner gets a notice')
  t.notOk(await isRoutable(config, EventTypes.userDeleted), 'user.deleted is not mailed')
  t.notOk(await isRoutable(config, EventTypes.sessionRevoked), 'ended sessions are not mailed')
})
