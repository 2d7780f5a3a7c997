import t from 'tap'
import { build } from './helper.js'

t.test('health, readiness and the OpenAPI document', async (t) => {
  const { app, config } = await build(t)

  const health = await app.inject({ method: 'GET', url: '/health' })
  t.equal(health.statusCode, 200)
  t.same(health.json(), { status: 'ok', service: 'auth-api', replica: config.REPLICA_ID })

  // The broker link connects in the background; readiness turns 200 once it is up.
  let ready = await app.inject({ method: 'GET', url: '/ready' })
  for (let i = 0; i < 100 && ready.statusCode !== 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    ready = await app.inject({ method: 'GET', url: '/ready' })
  }
  t.equal(ready.statusCode, 200)
  t.match(ready.json(), { status: 'ready', database: true, broker: true })

  const docs = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(docs.statusCode, 200)
  const spec = docs.json()
  t.match(spec.openapi, /^3\./)
  for (const path of ['/register', '/verify', '/verify/resend']) t.ok(spec.paths[path]?.post, `${path} is documented`)
  t.ok(spec.paths['/verify'].post.responses['410'], 'the 410 for an expired code is documented')
  const verifyErrors = JSON.stringify(spec.paths['/verify'].post.responses)
  for (const code of ['CODE_EXPIRED', 'CODE_INVALID', 'CODE_EXHAUSTED', 'INVALID_CREDENTIALS', 'ALREADY_ACTIVATED']) t.match(verifyErrors, code, `${code} documented on /verify`)

  const unknown = await app.inject({ method: 'GET', url: '/nope' })
  t.equal(unknown.statusCode, 404)
  t.match(unknown.json(), { status: 'error', code: 'NOT_FOUND' })
})
