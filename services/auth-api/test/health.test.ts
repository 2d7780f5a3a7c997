import t from 'tap'
import { eventually } from '@latchkey/shared/test-support'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { SPEC_FILE } from './error-codes/observed.js'
import { build } from './helper.js'

t.test('health, readiness and the OpenAPI document', async (t) => {
  const { app, config } = await build(t)

  const health = await app.inject({ method: 'GET', url: '/health' })
  t.equal(health.statusCode, 200)
  t.same(health.json(), { status: 'success', message: 'auth-api is running.', service: 'auth-api', replica: config.REPLICA_ID })

  // The broker link connects in the background; readiness turns 200 once it is up.
  const ready = await eventually(async () => {
    const answer = await app.inject({ method: 'GET', url: '/ready' })
    return answer.statusCode === 200 && answer
  }, { what: 'readiness', timeoutMs: 5000 }).catch(async () => await app.inject({ method: 'GET', url: '/ready' }))
  t.equal(ready.statusCode, 200)
  t.match(ready.json(), { status: 'success', message: String, database: true, broker: true })

  const docs = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(docs.statusCode, 200)
  const spec = docs.json()
  mkdirSync(dirname(SPEC_FILE), { recursive: true })
  writeFileSync(SPEC_FILE, docs.body)
  t.match(spec.openapi, /^3\./)
  for (const path of ['/register', '/verify', '/verify/resend']) t.ok(spec.paths[path]?.post, `${path} is documented`)
  t.ok(spec.paths['/verify'].post.responses['410'], 'the 410 for an expired code is documented')
  const verifyErrors = JSON.stringify(spec.paths['/verify'].post.responses)
  for (const code of ['CODE_EXPIRED', 'CODE_INVALID', 'CODE_EXHAUSTED', 'INVALID_CREDENTIALS', 'ALREADY_ACTIVATED']) t.match(verifyErrors, code, `${code} documented on /verify`)

  const unknown = await app.inject({ method: 'GET', url: '/nope' })
  t.equal(unknown.statusCode, 404)
  t.match(unknown.json(), { status: 'error', code: 'NOT_FOUND' })
})

t.test('a known path with the wrong method answers 405 with Allow, as JSON', async (t) => {
  const { app } = await build(t)
  const wrongMethod = await app.inject({ method: 'GET', url: '/register' })
  t.equal(wrongMethod.statusCode, 405)
  t.equal(wrongMethod.headers.allow, 'POST')
  t.match(wrongMethod.json(), { status: 'error', code: 'METHOD_NOT_ALLOWED' })
  const withParams = await app.inject({ method: 'DELETE', url: '/admin/users/some-id/disable' })
  t.equal(withParams.statusCode, 405, 'paths with parameters too')
  t.equal(withParams.headers.allow, 'POST')
  const me = await app.inject({ method: 'PUT', url: '/me' })
  t.equal(me.headers.allow, 'GET, HEAD, DELETE', 'every method the path takes')
})

t.test('an overlong path parameter is a JSON 414 that does not echo the path', async (t) => {
  const { app } = await build(t)
  const id = 'x'.repeat(200)
  const response = await app.inject({ method: 'POST', url: `/admin/users/${id}/disable` })
  t.equal(response.statusCode, 414)
  t.match(response.json(), { status: 'error', code: 'URI_TOO_LONG' })
  t.notMatch(response.body, id)
})

t.test('not ready: 503 NOT_READY with Retry-After and what is missing', async (t) => {
  const { app } = await build(t, { AMQP_URL: 'amqp://guest:guest@127.0.0.1:1' })
  const ready = await app.inject({ method: 'GET', url: '/ready' })
  t.equal(ready.statusCode, 503)
  t.equal(ready.headers['retry-after'], '5')
  t.match(ready.json(), { status: 'error', code: 'NOT_READY', message: /the broker/, database: true, broker: false })
})
