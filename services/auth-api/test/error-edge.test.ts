// The HTTP edge on its own: how any error becomes the API's JSON answer.
import Fastify from 'fastify'
import t from 'tap'
import errorHandling, { type UndocumentedError } from '../src/http/errors.js'
import { errorResponses } from '../src/http/schemas.js'
import { Refusal } from '../src/refusal.js'

t.test('a code a route forgot to document still answers as itself, and is reported', async (t) => {
  const reported: UndocumentedError[] = []
  const app = Fastify()
  await app.register(errorHandling, { onUndocumented: (error) => { reported.push(error) } })
  app.get('/careless', { schema: { response: errorResponses(['USER_NOT_FOUND']) } }, async () => { throw new Refusal('EMAIL_TAKEN') })
  t.teardown(async () => await app.close())
  const response = await app.inject({ method: 'GET', url: '/careless' })
  t.equal(response.statusCode, 409, 'never a 500 from the serializer')
  t.match(response.json(), { status: 'error', code: 'EMAIL_TAKEN' })
  t.same(reported, [{ method: 'GET', route: '/careless', status: 409, code: 'EMAIL_TAKEN' }])
})

t.test('a 429 says when to come back, in the body and in Retry-After', async (t) => {
  const app = Fastify()
  await app.register(errorHandling, {})
  app.get('/slow-down', { schema: { response: errorResponses(['ACCOUNT_LOCKED']) } }, async () => {
    throw new Refusal('ACCOUNT_LOCKED', { retry_after_seconds: 42 })
  })
  t.teardown(async () => await app.close())
  const response = await app.inject({ method: 'GET', url: '/slow-down' })
  t.equal(response.statusCode, 429)
  t.equal(response.headers['retry-after'], '42')
  t.match(response.json(), { code: 'ACCOUNT_LOCKED', retry_after_seconds: 42 })
})
