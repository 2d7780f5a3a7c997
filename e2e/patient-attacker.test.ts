// Issue 16's findings, each tried as the issue measured it: through Nginx over TLS, or straight
// to a replica as from inside the Compose network or a pod.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { basicAuth, call } from './support/https.ts'
import { readCodeFromInbox, readMailWithSubject } from './support/inbox.ts'
import { apiPorts, baseUrl, inboxApi, stackEnv, uniqueEmail } from './support/stack-env.ts'

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))
const PASSWORD = 'patient-attacker-passphrase'
const run = promisify(execFile)

async function activeAccount (email: string, base = baseUrl()): Promise<void> {
  const registered = await call(`${base}/register`, { method: 'POST', json: { email, password: PASSWORD } })
  if (registered.status !== 201) throw new Error(`registering ${email} answered ${registered.status}: ${registered.body}`)
  const { code } = await readCodeFromInbox(inboxApi(), email)
  const verified = await call(`${base}/verify`, { method: 'POST', headers: basicAuth(email, PASSWORD), json: { verification_code: code } })
  if (verified.status !== 200) throw new Error(`activating ${email} answered ${verified.status}: ${verified.body}`)
}

async function createAdmin (...args: string[]): Promise<{ code: number, stderr: string }> {
  try {
    await run(process.execPath, [join(REPO_ROOT, 'services/auth-api/dist/cli/create-admin.js'), ...args], { env: { ...process.env, MONGO_URL: stackEnv('MONGO_URL') } })
    return { code: 0, stderr: '' }
  } catch (err) {
    const failed = err as { code: number, stderr: string }
    return { code: failed.code, stderr: failed.stderr }
  }
}

t.test('introspection with the pair %:x answers 401 JSON, not 500', async (t) => {
  const reply = await call(`${baseUrl()}/oauth/introspect`, { method: 'POST', headers: { authorization: 'Basic JTp4' }, form: { token: 'abc' } })
  t.equal(reply.status, 401)
  t.match(reply.headers['content-type'], /application\/json/)
  t.match(reply.json(), { status: 'error', code: 'INVALID_CLIENT' })
})

t.test('a reset mail carries an 8-digit code', async (t) => {
  const email = uniqueEmail('reset.digits')
  await activeAccount(email)
  t.equal((await call(`${baseUrl()}/password/forgot`, { method: 'POST', json: { email } })).status, 202)
  const { code } = await readCodeFromInbox(inboxApi(), email, { skip: 1 })
  t.match(code, /^[0-9]{8}$/)
  const reset = await call(`${baseUrl()}/password/reset`, { method: 'POST', json: { email, code, new_password: 'a-reset-passphrase' } })
  t.equal(reset.status, 200)
  t.match(await readMailWithSubject(inboxApi(), email, /password was reset/), /Your Latchkey password was reset/, 'the owner is told')
})

t.test('sign-in answers are never cached, and the browser\'s refresh cookie is __Host-', async (t) => {
  const email = uniqueEmail('no.store')
  await activeAccount(email)
  const signIn = await call(`${baseUrl()}/login`, { method: 'POST', headers: { 'x-token-transport': 'cookie' }, json: { email, password: PASSWORD } })
  t.equal(signIn.status, 200)
  t.equal(signIn.headers['cache-control'], 'no-store')
  const cookies = [signIn.headers['set-cookie'] ?? []].flat()
  const refresh = cookies.find((cookie) => cookie.startsWith('__Host-latchkey_refresh='))
  t.ok(refresh, 'the refresh cookie is __Host-latchkey_refresh')
  t.match(refresh, /; Path=\//)
  t.match(refresh, /; Secure/)
  t.notMatch(refresh, /Domain=/i)
  t.ok(cookies.some((cookie) => cookie.startsWith('__Host-latchkey_device=')), 'and a device cookie comes with it')
  const me = await call(`${baseUrl()}/me`, { headers: { authorization: `Bearer ${signIn.json().access_token}` } })
  t.equal(me.headers['cache-control'], 'no-store')
})

t.test('an X-Request-Id of 300 characters straight to a replica: the activation mail still arrives', async (t) => {
  const email = uniqueEmail('long.request.id')
  const replica = `http://127.0.0.1:${apiPorts()[0]!}`
  const registered = await call(`${replica}/register`, { method: 'POST', headers: { 'x-request-id': 'r'.repeat(300) }, json: { email, password: PASSWORD } })
  t.equal(registered.status, 201)
  const { code } = await readCodeFromInbox(inboxApi(), email)
  t.match(code, /^[0-9]{4}$/, 'the mail came')
})

t.test('npm run create-admin refuses a pending account without --password, and it stays pending', async (t) => {
  const email = uniqueEmail('pending.admin')
  t.equal((await call(`${baseUrl()}/register`, { method: 'POST', json: { email, password: 'a-squatters-password' } })).status, 201)
  const refused = await createAdmin('--email', email)
  t.not(refused.code, 0, 'exits non-zero')
  t.match(refused.stderr, /never activated: give --password/, 'with a message')
  const signIn = await call(`${baseUrl()}/login`, { method: 'POST', json: { email, password: 'a-squatters-password' } })
  t.equal(signIn.json().code, 'ACCOUNT_NOT_ACTIVATED', 'the account stays pending')
})

t.test('a password change mails the owner a notice', async (t) => {
  const email = uniqueEmail('notice')
  await activeAccount(email)
  const token = (await call(`${baseUrl()}/login`, { method: 'POST', json: { email, password: PASSWORD } })).json().access_token
  const changed = await call(`${baseUrl()}/me/password`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, json: { current_password: PASSWORD, new_password: 'a-changed-passphrase' } })
  t.equal(changed.status, 200)
  t.match(await readMailWithSubject(inboxApi(), email, /password was changed/), /Your Latchkey password was changed/, 'the notice is in MailHog')
})
