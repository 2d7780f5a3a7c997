import t from 'tap'
import { becomes } from '@latchkey/shared/test-support'
import { activeAccount, bearer, build, captureEvents, eventsFor, login, register, uniqueName, usersOf } from './helper.js'

const outbox = { what: 'the outbox' }

const OFFLINE_BROKER = 'amqp://guest:guest@127.0.0.1:1'

t.test('the relay publishes written events and empties the outbox', async (t) => {
  const { app, config } = await build(t)
  const events = await captureEvents(t, config.EVENTS_EXCHANGE)
  await register(app, 'relay@example.com', 'testpassword')
  const published = await events.next((m) => m.event.data.email === 'relay@example.com')
  t.match(published.properties.headers, { traceparent: /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/ }, 'the W3C trace context travels as a header')
  t.equal(published.event.traceparent, published.properties.headers?.traceparent, 'and inside the CloudEvent')
  await t.resolveMatch(becomes(async () => {
    const account = await app.accounts.byEmail('relay@example.com')
    return account !== null && Object.keys(account.outbox).length === 0 && account.outboxDueAt === undefined && account.outboxClaim === undefined
  }, outbox), true, 'outbox emptied, nothing due, no lease left')
})

t.test('with the broker unreachable, registration still succeeds and the event waits; another replica publishes it later', async (t) => {
  const databaseName = uniqueName('authapi_outbox')
  const exchange = uniqueName('test.events')
  const offline = await build(t, { AMQP_URL: OFFLINE_BROKER, EVENTS_EXCHANGE: exchange }, databaseName)
  const response = await register(offline.app, 'offline@example.com', 'testpassword')
  t.equal(response.statusCode, 201, 'accepted while RabbitMQ is away')
  const stored = await offline.app.accounts.byEmail('offline@example.com')
  t.equal(Object.keys(stored?.outbox ?? {}).length, 1, 'the event waits in the account')
  t.ok(stored?.outboxDueAt, 'and is due')
  t.equal(stored?.outboxClaim, undefined, 'nobody holds it: no replica can publish now')

  const events = await captureEvents(t, exchange)
  const online = await build(t, { EVENTS_EXCHANGE: exchange }, databaseName)
  const published = await events.next((m) => m.event.data.email === 'offline@example.com', 15_000)
  t.equal(published.routingKey, 'user.registered')
  t.equal(published.properties.messageId, Object.keys(stored!.outbox)[0], 'the very event that was stored')
  await t.resolveMatch(becomes(async () => Object.keys((await online.app.accounts.byEmail('offline@example.com'))?.outbox ?? { x: 1 }).length === 0, outbox), true)
})

t.test('two replicas sweeping the same outboxes publish each event once', async (t) => {
  const databaseName = uniqueName('authapi_lease')
  const exchange = uniqueName('test.events')
  const first = await build(t, { AMQP_URL: OFFLINE_BROKER, EVENTS_EXCHANGE: exchange }, databaseName)
  for (let i = 0; i < 10; i++) await register(first.app, `lease${i}@example.com`, 'testpassword')
  const events = await captureEvents(t, exchange)
  const replicaA = await build(t, { EVENTS_EXCHANGE: exchange }, databaseName)
  const replicaB = await build(t, { EVENTS_EXCHANGE: exchange }, databaseName)
  await Promise.all([replicaA.app.outbox.sweep(), replicaB.app.outbox.sweep(), replicaA.app.outbox.sweep(), replicaB.app.outbox.sweep()])
  await events.next(() => events.messages.length >= 10, 15_000)
  // Every sweep has returned, so each publish was confirmed, and so queued for the capture before
  // an event published now: once that one arrives, every earlier copy has arrived too.
  await register(replicaA.app, 'after-the-sweeps@example.com', 'testpassword')
  await events.next((m) => m.event.data.email === 'after-the-sweeps@example.com', 15_000)
  for (let i = 0; i < 10; i++) {
    t.equal(eventsFor(events, `lease${i}@example.com`).length, 1, `lease${i}: published once`)
  }
})

t.test('an outbox claimed by a replica that died is published once its lease runs out', async (t) => {
  const databaseName = uniqueName('authapi_dead')
  const exchange = uniqueName('test.events')
  const offline = await build(t, { AMQP_URL: OFFLINE_BROKER, EVENTS_EXCHANGE: exchange }, databaseName)
  await register(offline.app, 'orphan@example.com', 'testpassword')
  const leaseUntil = new Date(Date.now() + 1500)
  await usersOf(offline.app).updateOne({ email: 'orphan@example.com' }, { $set: { outboxLeaseUntil: leaseUntil, outboxClaim: 'a-replica-that-crashed' } })

  const events = await captureEvents(t, exchange)
  const survivor = await build(t, { EVENTS_EXCHANGE: exchange, OUTBOX_SWEEP_SECONDS: '1' }, databaseName)
  await survivor.app.outbox.sweep()
  t.equal(eventsFor(events, 'orphan@example.com').length, 0, 'not while the lease is live')
  const published = await events.next((m) => m.event.data.email === 'orphan@example.com', 10_000)
  t.ok(Date.now() >= leaseUntil.getTime(), 'published after the lease ran out')
  t.equal(published.routingKey, 'user.registered')
})

t.test('an event no queue is bound to (user.deleted, like the mailer binds nothing for it) still leaves the outbox', async (t) => {
  const { app, config } = await build(t)
  const events = await captureEvents(t, config.EVENTS_EXCHANGE, ['user.registered', 'user.activation_code_requested'])
  const account = await activeAccount(app, events, 'unbound@example.com')
  const token = (await login(app, account.email)).json().access_token
  const id = (await app.accounts.byEmail(account.email))!._id
  t.equal((await app.inject({ method: 'DELETE', url: '/me', headers: bearer(token), payload: { password: account.password } })).statusCode, 200)
  await t.resolveMatch(becomes(async () => (await app.accounts.byId(id)) === null, outbox), true, 'the tombstone is gone: nothing is stuck retrying')
})
