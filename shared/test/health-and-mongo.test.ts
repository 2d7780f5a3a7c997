import Fastify from 'fastify'
import t from 'tap'
import { codePointLength, databaseReachable, healthRoutes, isDuplicateKey, isErrorCode, loadConfig, quietRequestLogController, requestLogging, serviceConfigFields, statusOf } from '../src/index.js'
import { Type } from 'typebox'

t.test('healthRoutes: liveness names the instance; readiness lists each dependency and says which is down', async (t) => {
  let smtpUp = true
  const app = Fastify()
  await app.register(requestLogging)
  await app.register(healthRoutes, { service: 'demo', instance: 'demo-1', dependencies: { broker: () => true, smtp: async () => smtpUp } })
  t.teardown(async () => { await app.close() })

  const health = await app.inject({ method: 'GET', url: '/health' })
  t.same(health.json(), { status: 'success', message: 'demo is running.', service: 'demo', replica: 'demo-1' })

  const ready = await app.inject({ method: 'GET', url: '/ready' })
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'success', message: 'Ready: the broker, the smtp answer.', replica: 'demo-1', broker: true, smtp: true })

  smtpUp = false
  const notReady = await app.inject({ method: 'GET', url: '/ready' })
  t.equal(notReady.statusCode, 503)
  t.equal(notReady.headers['retry-after'], '5')
  t.same(notReady.json(), { status: 'error', code: 'NOT_READY', message: 'Not ready: the smtp cannot be reached.', retry_after_seconds: 5, replica: 'demo-1', broker: true, smtp: false })
})

t.test('isDuplicateKey recognises MongoDB\'s E11000 and nothing else', async (t) => {
  t.ok(isDuplicateKey({ code: 11000 }))
  t.notOk(isDuplicateKey({ code: 11001 }))
  t.notOk(isDuplicateKey(new Error('no code')))
})

t.test('databaseReachable: a ping that answers, and one that throws', async (t) => {
  t.equal(await databaseReachable({ command: async () => ({ ok: 1 }) }), true)
  t.equal(await databaseReachable({ command: async () => { throw new Error('connection refused') } }), false)
})

t.test('serviceConfigFields: the settings every service shares, with their defaults and checks', async (t) => {
  const schema = Type.Object(serviceConfigFields(3100))
  const config = loadConfig(schema, { MONGO_URL: 'mongodb://127.0.0.1/x', AMQP_URL: 'amqp://127.0.0.1' })
  t.match(config, { HOST: '127.0.0.1', PORT: 3100, LOG_LEVEL: 'info', EVENTS_EXCHANGE: 'latchkey.events' })
  t.throws(() => loadConfig(schema, { MONGO_URL: 'postgres://x', AMQP_URL: 'amqp://127.0.0.1' }), /MONGO_URL/)
  t.throws(() => loadConfig(schema, { MONGO_URL: 'mongodb://x', AMQP_URL: 'amqp://x', LOG_LEVEL: 'loud' }), /LOG_LEVEL/)
})

t.test('the catalog answers by code, and the request-log controller quiets Fastify\'s own lines', async (t) => {
  t.equal(statusOf('CODE_FAILURE_LIMIT'), 429)
  t.ok(isErrorCode('NOT_READY'))
  t.notOk(isErrorCode('NOT_A_CODE'))
  t.equal(codePointLength('aé😀'), 3, 'code points, not UTF-16 units')
  const lines: string[] = []
  const app = Fastify({ logger: { level: 'info', stream: { write: (line: string) => { lines.push(line) } } }, logController: quietRequestLogController() })
  await app.register(requestLogging)
  app.get('/', async () => ({ ok: true }))
  t.teardown(async () => { await app.close() })
  await app.inject({ method: 'GET', url: '/' })
  t.equal(lines.filter((line) => line.includes('request completed')).length, 1, 'one line per request, ours')
  t.equal(lines.filter((line) => line.includes('incoming request')).length, 0, 'none of Fastify\'s')
})
