import t from 'tap'
import getPort from 'get-port'
import { buildTestApp } from './helper.js'

t.test('/health and /ready answer', async (t) => {
  const { app } = await buildTestApp(t)

  const health = await app.inject({ method: 'GET', url: '/health' })
  t.equal(health.statusCode, 200)
  t.match(health.json(), { status: 'success', service: 'mailer', replica: String }, 'the same contract as auth-api\'s (the shared health plugin)')

  const ready = await app.inject({ method: 'GET', url: '/ready' })
  t.equal(ready.statusCode, 200, 'ready with the real servers')
  t.match(ready.json(), { status: 'success', broker: true, database: true, smtp: true })
})

t.test('/ready says which dependency is down', async (t) => {
  const { app } = await buildTestApp(t, { SMTP_URL: `smtp://127.0.0.1:${await getPort({ host: '127.0.0.1' })}` })
  const ready = await app.inject({ method: 'GET', url: '/ready' })
  t.equal(ready.statusCode, 503)
  t.match(ready.json(), { status: 'error', code: 'NOT_READY', broker: true, database: true, smtp: false })
  t.match(ready.json().message, /the smtp cannot be reached/)
  t.ok(Number(ready.headers['retry-after']) > 0, 'with Retry-After')
})
