import t from 'tap'
import { parseSamples, sampleValue } from '@latchkey/shared/test-support'
import { build, captureEvents, login, register } from './helper.js'

/** One sample of a Prometheus text exposition, by metric name and the labels it has among others. */
function sample (exposition: string, name: string, labels: Record<string, string> = {}): number | undefined {
  return sampleValue(parseSamples(exposition), name, labels)
}

t.test('metrics on their own listener, after one registration and a few sign-ins', async (t) => {
  const { app, config } = await build(t)
  const events = await captureEvents(t, config.EVENTS_EXCHANGE)
  t.equal((await register(app, 'watched@example.com', 'testpassword')).statusCode, 201)
  await events.next((m) => m.event.data.email === 'watched@example.com')
  for (let i = 0; i < config.LOCKOUT_THRESHOLD + 1; i++) await login(app, 'watched@example.com', `wrong-${i}-password`)

  const url = app.metrics.url
  t.notMatch(url, `:${config.PORT}/`, 'not on the API port')
  const response = await fetch(url)
  t.equal(response.status, 200)
  const exposition = await response.text()
  t.equal(sample(exposition, 'http_requests_total', { route: '/register', status: '201', service: 'auth-api' }), 1, 'requests by route and status')
  t.ok(sample(exposition, 'http_request_duration_seconds_count', { route: '/register', method: 'POST' }), 'latency by route')
  t.equal(sample(exposition, 'auth_password_hash_seconds_count', { operation: 'hash' }), 1, 'argon2 time, hashing')
  t.equal(sample(exposition, 'auth_password_hash_seconds_count', { operation: 'verify' }), config.LOCKOUT_THRESHOLD, 'and verifying: the refused attempt was never evaluated')
  t.equal(sample(exposition, 'auth_sign_ins_total', { result: 'failure' }), config.LOCKOUT_THRESHOLD)
  t.equal(sample(exposition, 'auth_lockouts_total'), 1, 'the attempt past the threshold was a lockout')
  t.equal(sample(exposition, 'auth_outbox_published_total', { type: 'user.registered' }), 1, 'publisher confirms')
  t.equal(sample(exposition, 'auth_outbox_pending_accounts'), 0, 'nothing waits in the outbox')
  t.equal(sample(exposition, 'auth_outbox_oldest_pending_seconds'), 0)
  t.ok(sample(exposition, 'process_cpu_user_seconds_total'), 'and the process metrics')
})

t.test('the outbox backlog shows while the broker is away', async (t) => {
  const { app } = await build(t, { AMQP_URL: 'amqp://guest:guest@127.0.0.1:1' })
  await register(app, 'waiting@example.com', 'testpassword')
  const exposition = await (await fetch(app.metrics.url)).text()
  t.equal(sample(exposition, 'auth_outbox_pending_accounts'), 1)
  t.ok((sample(exposition, 'auth_outbox_oldest_pending_seconds') ?? -1) >= 0)
})
