import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import t from 'tap'
import { bearer, build, captureEvents, login, register, requiredEnv, uniqueName } from './helper.js'

const run = promisify(execFile)

async function createAdmin (databaseName: string, ...args: string[]): Promise<{ stdout: string, stderr: string, code: number }> {
  const url = new URL(requiredEnv('MONGO_URL'))
  url.pathname = `/${databaseName}`
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/create-admin.ts', ...args], { env: { ...process.env, MONGO_URL: url.toString() } })
    return { stdout, stderr, code: 0 }
  } catch (err) {
    const failed = err as { stdout: string, stderr: string, code: number }
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code }
  }
}

t.test('npm run create-admin creates an administrator or promotes an account', async (t) => {
  const databaseName = uniqueName('authapi_cli')
  // The command writes events into the outbox; the replicas' sweep publishes them.
  const { app, config } = await build(t, { OUTBOX_SWEEP_SECONDS: '1' }, databaseName)
  const events = await captureEvents(t, config.EVENTS_EXCHANGE)

  const created = await createAdmin(databaseName, '--email', 'Chief@Example.com', '--password', 'chief-secret-pass')
  t.equal(created.code, 0, created.stderr)
  t.match(created.stdout, /Created the administrator chief@example\.com/)
  const session = await login(app, 'chief@example.com', 'chief-secret-pass')
  t.equal(session.statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/admin/users', headers: bearer(session.json().access_token) })).statusCode, 200)

  // Anyone can register a pending address and choose its password: promoting it as it is would
  // hand that stranger an administrator account.
  await register(app, 'pending-boss@example.com', 'squatters-password')
  const refused = await createAdmin(databaseName, '--email', 'pending-boss@example.com')
  t.equal(refused.code, 1, 'a pending account is not promoted without a password of the operator\'s')
  t.match(refused.stderr, /never activated: give --password/)
  const stillPending = await app.accounts.byEmail('pending-boss@example.com')
  t.equal(stillPending?.status, 'pending', 'and it stays pending')
  t.same(stillPending?.roles, ['user'])

  const promoted = await createAdmin(databaseName, '--email', 'pending-boss@example.com', '--password', 'operators-own-pass')
  t.equal(promoted.code, 0, promoted.stderr)
  const user = await app.accounts.byEmail('pending-boss@example.com')
  t.same(user?.roles, ['user', 'admin'])
  t.equal(user?.status, 'active', 'with --password, the operator activates it')
  t.equal((await login(app, 'pending-boss@example.com', 'squatters-password')).statusCode, 401, 'the registrant\'s password no longer works')
  t.equal((await login(app, 'pending-boss@example.com', 'operators-own-pass')).statusCode, 200, 'the operator\'s does')

  const chiefSession = JSON.parse(Buffer.from((await login(app, 'chief@example.com', 'chief-secret-pass')).json().access_token.split('.')[1], 'base64url').toString()).sid
  const replaced = await createAdmin(databaseName, '--email', 'chief@example.com', '--password', 'chief-second-pass')
  t.equal(replaced.code, 0, replaced.stderr)
  const changed = await events.next((m) => m.routingKey === 'user.password_changed' && m.event.data.email === 'chief@example.com')
  t.match(changed.event.data, { how: 'operator' }, 'setting a password from the command publishes user.password_changed, so the owner is told')
  t.ok(changed.event.data.sessionIds.includes(chiefSession), 'listing the sessions it ended')

  const missing = await createAdmin(databaseName, '--email', 'ghost@example.com')
  t.equal(missing.code, 1)
  t.match(missing.stderr, /give --password/)
  const weak = await createAdmin(databaseName, '--email', 'weak@example.com', '--password', 'password')
  t.equal(weak.code, 1)
  t.match(weak.stderr, /common/)
})
