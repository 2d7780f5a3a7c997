import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import t from 'tap'
import { startBroker, stopBroker } from '../scripts/stack-control.ts'
import { basicAuth, call } from './support/https.ts'
import { readCodeFromInbox } from './support/inbox.ts'
import { baseUrl, inboxApi, uniqueEmail } from './support/stack-env.ts'

const run = promisify(execFile)

/** Runs a command line from the user's documents, changing nothing but host and port. */
async function seedCurl (commandLine: string): Promise<{ status: number, body: any }> {
  const args = (commandLine.match(/"[^"]*"|\S+/g) ?? []).slice(1).map((arg) => arg.replace(/^"|"$/g, ''))
  const rebased = args.map((arg) => arg.replace('https://localhost/', `${baseUrl()}/`))
  const { stdout } = await run('curl', ['--silent', '--write-out', '\n%{http_code}', ...rebased])
  const lines = stdout.trimEnd().split('\n')
  const status = Number(lines.pop())
  return { status, body: JSON.parse(lines.join('\n')) }
}

t.test('the seed 001 flow, with curl exactly as documented, through Nginx', async (t) => {
  const registered = await seedCurl('curl --insecure -d "password=testpassword&email=foo@bar.com" -X POST https://localhost/register')
  t.equal(registered.status, 201)
  t.match(registered.body, { status: 'success', message: String, email: 'foo@bar.com' })
  t.notOk('code' in registered.body, 'in production the code goes by email only')

  const { code } = await readCodeFromInbox(inboxApi(), 'foo@bar.com')
  t.match(code, /^[0-9]{4}$/)
  const verified = await seedCurl(`curl --insecure -d "verification_code=${code}" -u "foo@bar.com:testpassword" -X POST https://localhost/verify`)
  t.equal(verified.status, 200)
  t.match(verified.body, { status: 'success' })

  const again = await seedCurl(`curl --insecure -d "verification_code=${code}" -u "foo@bar.com:testpassword" -X POST https://localhost/verify`)
  t.equal(again.status, 409)
  const noAuth = await seedCurl(`curl --insecure -d "verification_code=${code}" -X POST https://localhost/verify`)
  t.equal(noAuth.status, 401)
})

t.test('replicas share one truth: register on one, verify on another, one mail per code', async (t) => {
  const email = uniqueEmail('replicas')
  for (let i = 0; i < 3; i++) {
    const reply = await call(`${baseUrl()}/register`, { method: 'POST', form: { email, password: 'testpassword' } })
    t.equal(reply.status, i === 0 ? 201 : 200)
  }
  const { code } = await readCodeFromInbox(inboxApi(), email, { skip: 2 })
  const wrong = await call(`${baseUrl()}/verify`, { method: 'POST', headers: basicAuth(email, 'testpassword'), json: { verification_code: code === '0000' ? '0001' : '0000' } })
  t.equal(wrong.status, 403)
  t.equal(wrong.json().attempts_left, 4)
  const right = await call(`${baseUrl()}/verify`, { method: 'POST', headers: basicAuth(email, 'testpassword'), json: { verification_code: code } })
  t.equal(right.status, 200)
})

t.test('registrations accepted while RabbitMQ is down are mailed once it is back', async (t) => {
  await stopBroker()
  let restarted = false
  t.teardown(async () => { if (!restarted) await startBroker() })
  const emails = [uniqueEmail('outage-a'), uniqueEmail('outage-b'), uniqueEmail('outage-c')]
  for (const email of emails) {
    const reply = await call(`${baseUrl()}/register`, { method: 'POST', json: { email, password: 'testpassword' } })
    t.equal(reply.status, 201, `${email} accepted while the broker is away`)
  }
  await startBroker()
  restarted = true
  for (const email of emails) {
    const { code } = await readCodeFromInbox(inboxApi(), email, { timeoutMs: 40_000 })
    const verified = await call(`${baseUrl()}/verify`, { method: 'POST', headers: basicAuth(email, 'testpassword'), json: { verification_code: code } })
    t.equal(verified.status, 200, `${email} activated with the code mailed after the outage`)
  }
})
