import t from 'tap'
import { becomes } from '../shared/test-support/index.ts'
import { startComponent, stopComponent } from '../scripts/stack-control.ts'
import { basicAuth, call } from './support/https.ts'
import { readCodeFromInbox } from './support/inbox.ts'
import { apiPorts, baseUrl, inboxApi, uniqueEmail } from './support/stack-env.ts'

async function allReplicasReady (timeoutMs = 30_000): Promise<boolean> {
  return await becomes(async () => {
    const answers = await Promise.all(apiPorts().map(async (port) => (await call(`http://127.0.0.1:${port}/ready`)).status))
    return answers.every((status) => status === 200)
  }, { timeoutMs, intervalMs: 250, what: 'every replica to be ready' })
}

t.test('while the database is down requests get 503; after its restart everything works again without restarting us', async (t) => {
  await stopComponent('mongo')
  let restarted = false
  t.teardown(async () => { if (!restarted) await startComponent('mongo') })

  const during = await call(`${baseUrl()}/register`, { method: 'POST', json: { email: uniqueEmail('db-down'), password: 'testpassword' } })
  t.equal(during.status, 503, 'a quick, honest 503, not a 500 or a hang')
  t.equal(during.json().code, 'DATABASE_UNAVAILABLE')
  t.ok(during.headers['retry-after'], 'with Retry-After')
  const ready = await call(`http://127.0.0.1:${apiPorts()[0]}/ready`)
  t.equal(ready.status, 503)
  t.match(ready.json(), { database: false })

  await startComponent('mongo')
  restarted = true
  t.ok(await allReplicasReady(), 'every replica is ready again by itself')

  const email = uniqueEmail('db-back')
  t.equal((await call(`${baseUrl()}/register`, { method: 'POST', json: { email, password: 'testpassword' } })).status, 201)
  const { code } = await readCodeFromInbox(inboxApi(), email, { timeoutMs: 30_000 })
  const verified = await call(`${baseUrl()}/verify`, { method: 'POST', headers: basicAuth(email, 'testpassword'), json: { verification_code: code } })
  t.equal(verified.status, 200, 'registration, mail and activation work after the restart')
})
