// The OpenAPI document is the contract: schemathesis (scripts/schemathesis.sh) sends the API,
// through Nginx over TLS, requests drawn from /docs/json with every check on, and must find
// nothing. Before it, the bugs and document errors it found once, each tried directly.
import { execFile, spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { ARTIFACTS_DIR } from './support/browser.ts'
import { basicAuth, call } from './support/https.ts'
import { readCodeFromInbox } from './support/inbox.ts'
import { baseUrl, inboxApi, stackEnv, uniqueEmail } from './support/stack-env.ts'

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))
const PASSWORD = 'contract-test-passphrase'
/** Well under the 5 minutes the whole run may take on the 2-core development machine. */
const RUN_TIMEOUT_MS = 270_000

const run = promisify(execFile)

async function createAdmin (email: string): Promise<void> {
  await run('node', [join(REPO_ROOT, 'services/auth-api/dist/cli/create-admin.js'), '--email', email, '--password', PASSWORD], {
    env: { ...process.env, MONGO_URL: stackEnv('MONGO_URL') }
  })
}

async function accessToken (email: string): Promise<string> {
  const reply = await call(`${baseUrl()}/login`, { method: 'POST', json: { email, password: PASSWORD } })
  if (reply.status !== 200) throw new Error(`login of ${email} answered ${reply.status}: ${reply.body}`)
  return reply.json().access_token
}

/** An account registered and activated as a person would: the code read from MailHog. */
async function activeAccount (email: string): Promise<void> {
  const registered = await call(`${baseUrl()}/register`, { method: 'POST', json: { email, password: PASSWORD } })
  if (registered.status !== 201) throw new Error(`registering ${email} answered ${registered.status}: ${registered.body}`)
  const { code } = await readCodeFromInbox(inboxApi(), email)
  const verified = await call(`${baseUrl()}/verify`, { method: 'POST', headers: basicAuth(email, PASSWORD), json: { verification_code: code } })
  if (verified.status !== 200) throw new Error(`activating ${email} answered ${verified.status}: ${verified.body}`)
}

t.test('what schemathesis found, fixed', async (t) => {
  const tooLong = await call(`${baseUrl()}/login`, { method: 'POST', json: { email: 'someone@example.com', password: 'p'.repeat(1100) } })
  t.equal(tooLong.status, 400, 'a 1,100-character password at sign-in: 400, not 500 (PASSWORD_TOO_LONG is for passwords being set)')
  t.equal(tooLong.json().code, 'VALIDATION_FAILED')

  const query = await call(`${baseUrl()}/register`, { method: 'QUERY' })
  t.equal(query.status, 405, 'a method with a body on a known path, without Content-Type: 405, not 400')
  t.equal(query.headers.allow, 'POST')

  const spec = (await call(`${baseUrl()}/docs/json`)).json()
  t.notMatch(JSON.stringify(spec.paths), /"additionalProperties":false/, 'unknown fields are ignored, and the document says so')
  const verifyBody = spec.paths['/verify'].post.requestBody.content['application/json'].schema
  t.match(verifyBody.properties.verification_code, { minLength: 1, pattern: '^[0-9]{4}$' }, 'the code\'s format is in the document')
  const malformed = await call(`${baseUrl()}/password/reset`, { method: 'POST', json: { email: 'someone@example.com', code: '12a4', new_password: 'a-new-long-passphrase' } })
  t.equal(malformed.json().code, 'CODE_MALFORMED', 'a code breaking the documented pattern keeps its own code')
})

t.test('schemathesis finds nothing: every check, through Nginx', async (t) => {
  const admin = uniqueEmail('contract-admin')
  const leaving = uniqueEmail('contract-logout')
  const pending = uniqueEmail('contract-pending')
  await createAdmin(admin)
  await activeAccount(leaving)
  const registered = await call(`${baseUrl()}/register`, { method: 'POST', json: { email: pending, password: PASSWORD } })
  t.equal(registered.status, 201, 'an account left pending, for /verify and /verify/resend')

  const env = {
    ...process.env,
    CONTRACT_BEARER: await accessToken(admin),
    CONTRACT_LOGOUT_BEARER: await accessToken(leaving),
    CONTRACT_PENDING_EMAIL: pending,
    CONTRACT_PENDING_PASSWORD: PASSWORD
  }
  const reportDir = join(ARTIFACTS_DIR, 'schemathesis')
  const { code, output } = await new Promise<{ code: number | null, output: string }>((resolve, reject) => {
    const child = spawn('bash', [join(REPO_ROOT, 'scripts/schemathesis.sh'), '--report', 'junit', '--report-dir', reportDir], { env })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
    const timer = setTimeout(() => child.kill('SIGTERM'), RUN_TIMEOUT_MS)
    child.on('error', reject)
    child.on('close', (exitCode) => {
      clearTimeout(timer)
      resolve({ code: exitCode, output })
    })
  })
  const summary = output.slice(output.lastIndexOf('SUMMARY'))
  t.comment(summary)
  t.equal(code, 0, code === 0 ? 'schemathesis passed' : `schemathesis failed (exit ${String(code)}); its output:\n${output.slice(output.indexOf('FAILURES'))}`)
  t.notMatch(summary, /\d+ failures?/, 'no failure in the summary')
  // Only the operations whose credentials are never valid here may answer nothing but 401/403:
  // sign-in with drawn passwords, introspection (no client is registered), activation with drawn codes.
  const warning = /Authentication failed[^\n]*\n([\s\S]*?)\n\n💡/.exec(output.slice(output.indexOf('WARNINGS')))?.[1] ?? ''
  const refusedOnly = [...warning.matchAll(/^\s+- (\w+ \S+)$/gm)].map((match) => match[1])
  t.same(refusedOnly.filter((operation) => !['POST /login', 'POST /oauth/introspect', 'POST /verify', 'POST /verify/resend'].includes(operation!)), [],
    `the tokens reached past 401 (only ${refusedOnly.join(', ') || 'none'} never did)`)
})
