import t from 'tap'
import { activeAccount, bearer, build, captureEvents, eventsFor, login, register, uniqueName } from './helper.js'

t.test('the relay publishes written events and clears the outbox', async (t) => {
  const { app, config } = await build(t)
  const events = await captureEvents(t, config.EVENTS_EXCHANGE)
  await register(app, 'relay@example.com', 'testpassword')
  await events.next((m) => m.event.data.email === 'relay@example.com')
  await t.resolveMatch(waitFor(async () => {
    const user = await app.users.findByEmail('relay@example.com')
    return user?.outboxPending === false && Object.keys(user.outbox).length === 0
  }), true, 'outbox emptied and no longer pending')
  await t.resolveMatch(waitFor(async () => await app.db.collection('outbox_pending').countDocuments() === 0), true, 'no pending marker is left')
})

t.test('a marker with no account behind it is cleared by the sweep once it is old, not while an insert may be under way', async (t) => {
  const { app } = await build(t)
  const markers = app.db.collection('outbox_pending')
  const now = Date.now()
  await markers.insertOne({ _id: 'ghost@example.com' as never, since: new Date(now - 120_000), dueAt: new Date(now) })
  await markers.insertOne({ _id: 'arriving@example.com' as never, since: new Date(now), dueAt: new Date(now) })
  await t.resolveMatch(waitFor(async () => await markers.countDocuments({ _id: 'ghost@example.com' as never }) === 0), true, 'the old one goes')
  await app.outbox.sweep()
  t.equal(await markers.countDocuments({ _id: 'arriving@example.com' as never }), 1, 'the fresh one stays')
})

t.test('with the broker unreachable, registration still succeeds and the event waits; another replica publishes it later', async (t) => {
  const databaseName = uniqueName('authapi_outbox')
  const exchange = uniqueName('test.events')
  const offline = await build(t, { AMQP_URL: 'amqp://guest:guest@127.0.0.1:1', EVENTS_EXCHANGE: exchange }, databaseName)
  const response = await register(offline.app, 'offline@example.com', 'testpassword')
  t.equal(response.statusCode, 201, 'accepted while RabbitMQ is away')
  const ready = await offline.app.inject({ method: 'GET', url: '/ready' })
  t.equal(ready.statusCode, 503)
  t.match(ready.json(), { broker: false, database: true })
  const stored = await offline.app.users.findByEmail('offline@example.com')
  t.equal(stored?.outboxPending, true)
  t.equal(Object.keys(stored?.outbox ?? {}).length, 1)

  const events = await captureEvents(t, exchange)
  const online = await build(t, { EVENTS_EXCHANGE: exchange }, databaseName)
  const published = await events.next((m) => m.event.data.email === 'offline@example.com', 15_000)
  t.equal(published.routingKey, 'user.registered')
  t.equal(published.properties.messageId, Object.keys(stored!.outbox)[0], 'the very event that was stored')
  await t.resolveMatch(waitFor(async () => (await online.app.users.findByEmail('offline@example.com'))?.outboxPending === false), true)
})

t.test('two replicas sweeping the same outbox publish each event once', async (t) => {
  const databaseName = uniqueName('authapi_lease')
  const exchange = uniqueName('test.events')
  const first = await build(t, { AMQP_URL: 'amqp://guest:guest@127.0.0.1:1', EVENTS_EXCHANGE: exchange }, databaseName)
  for (let i = 0; i < 10; i++) await register(first.app, `lease${i}@example.com`, 'testpassword')
  const events = await captureEvents(t, exchange)
  const replicaA = await build(t, { EVENTS_EXCHANGE: exchange }, databaseName)
  const replicaB = await build(t, { EVENTS_EXCHANGE: exchange }, databaseName)
  await Promise.all([replicaA.app.outbox.sweep(), replicaB.app.outbox.sweep(), replicaA.app.outbox.sweep(), replicaB.app.outbox.sweep()])
  await events.next(() => events.messages.length >= 10, 15_000)
  await new Promise((resolve) => setTimeout(resolve, 1500))
  for (let i = 0; i < 10; i++) {
    t.equal(eventsFor(events, `lease${i}@example.com`).length, 1, `lease${i}: published once`)
  }
})

async function waitFor (check: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return false
}

t.test('an event no queue is bound to (user.deleted, like the mailer binds nothing for it) still leaves the outbox', async (t) => {
  const { app, config } = await build(t)
  const events = await captureEvents(t, config.EVENTS_EXCHANGE, ['user.registered', 'user.activation_code_requested'])
  const account = await activeAccount(app, events, 'unbound@example.com')
  const token = (await login(app, account.email)).json().access_token
  const id = (await app.users.findByEmail(account.email))!.id
  t.equal((await app.inject({ method: 'DELETE', url: '/me', headers: bearer(token), payload: { password: account.password } })).statusCode, 200)
  await t.resolveMatch(waitFor(async () => (await app.users.findById(id)) === null && await app.db.collection('outbox_pending').countDocuments() === 0), true,
    'the tombstone and its marker are gone: nothing is stuck retrying')
})
