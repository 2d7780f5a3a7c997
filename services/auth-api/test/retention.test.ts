import t from 'tap'
import { eventually } from '@latchkey/shared/test-support'
import { activeAccount, bearer, build, captureEvents, login, register, signInAttemptsOf, usersOf } from './helper.js'

t.test('nothing grows without bound', async (t) => {
  const { app, config, clock } = await build(t)
  const events = await captureEvents(t, config.EVENTS_EXCHANGE)

  t.test('an account never activated is removed once its retention has passed, not before', async (t) => {
    await register(app, 'never-activated@example.com', 'testpassword')
    await activeAccount(app, events, 'activated@example.com')
    await waitForEmptyOutbox(app, 'never-activated@example.com')
    clock.advance(config.PENDING_ACCOUNT_RETENTION_DAYS * 86_400 - 60)
    await app.sweepExpired()
    t.ok(await app.accounts.byEmail('never-activated@example.com'), 'still there a minute before')
    clock.advance(120)
    const removed = await app.sweepExpired()
    t.ok(removed.accounts >= 1)
    t.equal(await app.accounts.byEmail('never-activated@example.com'), null, 'gone after')
    t.ok(await app.accounts.byEmail('activated@example.com'), 'activated accounts stay')
  })

  t.test('an account whose events are not out yet is never removed with them', async (t) => {
    const offline = await build(t, { AMQP_URL: 'amqp://guest:guest@127.0.0.1:1' })
    await register(offline.app, 'stuck@example.com', 'testpassword')
    offline.clock.advance(config.PENDING_ACCOUNT_RETENTION_DAYS * 86_400 + 60)
    await offline.app.sweepExpired()
    t.ok(await offline.app.accounts.byEmail('stuck@example.com'), 'kept while its outbox holds an event')
  })

  t.test('sign-in attempt counters expire a day after the last attempt', async (t) => {
    await login(app, 'counted@example.com', 'wrong-password')
    t.equal(await signInAttemptsOf(app).countDocuments({ _id: 'counted@example.com' }), 1)
    clock.advance(86_400 + 1)
    await app.sweepExpired()
    t.equal(await signInAttemptsOf(app).countDocuments({ _id: 'counted@example.com' }), 0)
  })

  t.test('expired sessions are dropped when the account signs in again', async (t) => {
    const jo = await activeAccount(app, events, 'jo@example.com')
    const old = (await login(app, jo.email)).json()
    clock.advance(config.REFRESH_TOKEN_TTL_SECONDS + 1)
    const fresh = (await login(app, jo.email)).json()
    const sessions = Object.keys((await app.accounts.byEmail(jo.email))!.sessions)
    t.equal(sessions.length, 1, 'only the new one is kept')
    t.equal((await app.inject({ method: 'GET', url: '/me', headers: bearer(old.access_token) })).statusCode, 401)
    t.ok(fresh.access_token)
  })

  t.test('the indexes behind every lookup exist, TTL included where the server runs it', async (t) => {
    const names = (await usersOf(app).listIndexes().toArray()).map((index) => index.name)
    for (const name of ['email', 'outbox-due', 'purge', 'admin-by-status', 'admin-newest']) t.ok(names.includes(name), `users: ${name}`)
    const ttl = (await signInAttemptsOf(app).listIndexes().toArray()).find((index) => index.name === 'expiry')
    t.equal(ttl?.expireAfterSeconds, 0)
  })
})

async function waitForEmptyOutbox (app: Awaited<ReturnType<typeof build>>['app'], email: string): Promise<void> {
  await eventually(async () => {
    const account = await app.accounts.byEmail(email)
    return account !== null && account.outboxDueAt === undefined
  }, { what: `the outbox of ${email} to be published` })
}
