import t from 'tap'
import { buildTestApp, freePort } from './helper.js'

t.test('/health and /ready answer', async (t) => {
  const { app } = await buildTestApp(t)

  const health = await app.inject({ method: 'GET', url: '/health' })
  t.equal(health.statusCode, 200)
  t.same(health.json(), { status: 'ok', service: 'mailer' })

  const ready = await app.inject({ method: 'GET', url: '/ready' })
  t.equal(ready.statusCode, 200, 'ready with the real servers')
  t.same(ready.json(), { status: 'ready', broker: true, database: true, smtp: true })
})

t.test('/ready says which dependency is down', async (t) => {
  const { app } = await buildTestApp(t, { SMTP_URL: `smtp://127.0.0.1:${await freePort()}` })
  const ready = await app.inject({ method: 'GET', url: '/ready' })
  t.equal(ready.statusCode, 503)
  t.same(ready.json(), { status: 'not-ready', broker: true, database: true, smtp: false })
})
