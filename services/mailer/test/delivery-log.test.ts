import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { MongoClient } from 'mongodb'
import { eventually } from '@latchkey/shared/test-support'
import { DeliveryLog, type Claim, type DeliveryLogOptions, type DeliveryRecord, type Every } from '../src/delivery/delivery-log.js'
import { testServers } from './helper.js'

const leaseMs = 1000
const retentionMs = 3_600_000

/** The delivery log on a database of its own, dropped when the test ends. */
async function deliveryLog (t: Test, options: Pick<DeliveryLogOptions, 'now' | 'every'> = {}): Promise<{ deliveries: DeliveryLog, records: () => Promise<DeliveryRecord[]> }> {
  const url = new URL(testServers().mongoUrl)
  url.pathname = `/mailer_log_test_${randomBytes(5).toString('hex')}`
  const client = new MongoClient(url.toString(), { serverSelectionTimeoutMS: 3000 })
  const collection = client.db().collection<DeliveryRecord>('deliveries')
  t.teardown(async () => {
    await client.db().dropDatabase()
    await client.close()
  })
  return { deliveries: new DeliveryLog(collection, { leaseMs, retentionMs, ...options }), records: async () => await collection.find().toArray() }
}

/** Intervals the test runs by hand: `tick()` is one period passing for every live one. */
class HandTimers {
  readonly #tasks = new Set<() => void>()
  every: Every = (_ms, task) => {
    const entry = (): void => task()
    this.#tasks.add(entry)
    return () => { this.#tasks.delete(entry) }
  }

  get live (): number { return this.#tasks.size }
  tick (): void { for (const task of this.#tasks) task() }
}

function claimOf (result: Awaited<ReturnType<DeliveryLog['claim']>>): Claim {
  if (result.result !== 'claimed') throw new Error(`expected a claim, got ${result.result}`)
  return result.claim
}

t.test('a claim is taken once; a second copy waits until the lease has run out, then takes over', async (t) => {
  const { deliveries } = await deliveryLog(t)
  const now = new Date()
  const first = claimOf(await deliveries.claim('e1', 'user.registered', now))

  const held = await deliveries.claim('e1', 'user.registered', new Date(now.getTime() + 400))
  t.same(held, { result: 'held', retryInMs: 600 + 250 }, 'told when the lease ends, plus a margin')

  const takeover = claimOf(await deliveries.claim('e1', 'user.registered', new Date(now.getTime() + leaseMs)))
  t.not(takeover.holder, first.holder, 'a new holder')
  t.match(await deliveries.find('e1'), { status: 'sending', holder: takeover.holder, attempts: 2 })

  await deliveries.release(first, 'late news from the dead', now)
  t.match(await deliveries.find('e1'), { status: 'sending', holder: takeover.holder }, 'a holder that lost the claim cannot settle it')
  await deliveries.release(takeover, '421 try later', now)
  t.match(await deliveries.find('e1'), { status: 'retrying', lastError: '421 try later' })
  t.notOk((await deliveries.find('e1'))?.holder, 'released')
  claimOf(await deliveries.claim('e1', 'user.registered', now))
})

t.test('of 20 copies claiming at once exactly one wins', async (t) => {
  const { deliveries } = await deliveryLog(t)
  const now = new Date()
  const results = await Promise.all(Array.from({ length: 20 }, async () => await deliveries.claim('race', 'user.registered', now)))
  t.equal(results.filter((result) => result.result === 'claimed').length, 1)
  t.equal(results.filter((result) => result.result === 'held').length, 19)

  // The same once the lease ran out: one takeover, not several.
  const later = new Date(now.getTime() + leaseMs + 1)
  const takeovers = await Promise.all(Array.from({ length: 20 }, async () => await deliveries.claim('race', 'user.registered', later)))
  t.equal(takeovers.filter((result) => result.result === 'claimed').length, 1)
  t.match(await deliveries.find('race'), { attempts: 2 })
})

t.test('a sent event is never claimed again, whatever its lease said', async (t) => {
  const { deliveries } = await deliveryLog(t)
  const now = new Date()
  const claim = claimOf(await deliveries.claim('e2', 'user.registered', now))
  await deliveries.markSent(claim, now)
  t.same(await deliveries.claim('e2', 'user.registered', now), { result: 'already-sent' })
  t.same(await deliveries.claim('e2', 'user.registered', new Date(now.getTime() + 10 * leaseMs)), { result: 'already-sent' })

  // The mail went out even if the claim was lost meanwhile: `sent` is recorded all the same.
  const stale = claimOf(await deliveries.claim('e3', 'user.registered', now))
  claimOf(await deliveries.claim('e3', 'user.registered', new Date(now.getTime() + leaseMs)))
  await deliveries.markSent(stale, now)
  t.match(await deliveries.find('e3'), { status: 'sent' })
})

t.test('dropped and failed events can be claimed by a later copy', async (t) => {
  const { deliveries } = await deliveryLog(t)
  const now = new Date()
  await deliveries.markDroppedExpired(claimOf(await deliveries.claim('dropped', 'user.registered', now)), now)
  await deliveries.markFailed(claimOf(await deliveries.claim('failed', 'user.registered', now)), '550 no', now)
  t.match(await deliveries.find('dropped'), { status: 'dropped-expired' })
  t.match(await deliveries.find('failed'), { status: 'failed', lastError: '550 no' })
  claimOf(await deliveries.claim('dropped', 'user.registered', now))
  claimOf(await deliveries.claim('failed', 'user.registered', now))
})

t.test('keepAlive renews the lease while the holder works, and says when the claim was lost', async (t) => {
  // The clock and the renewal timer are the test's: a lease passes in no time.
  const start = Date.now()
  let at = start
  const clock = (): Date => new Date(at)
  const timers = new HandTimers()
  const { deliveries } = await deliveryLog(t, { now: clock, every: timers.every })
  const claim = claimOf(await deliveries.claim('alive', 'user.registered', clock()))
  const problems: string[] = []
  const lease = deliveries.keepAlive(claim, (problem) => problems.push(problem))
  // Two and a half leases, renewed every third of one; each renewal is awaited in the record.
  while (at + leaseMs / 3 <= start + leaseMs * 2.5) {
    at += Math.floor(leaseMs / 3)
    timers.tick()
    const renewedUntil = at + leaseMs
    await eventually(async () => (await deliveries.find('alive'))?.leaseUntil?.getTime() === renewedUntil, { what: 'the lease to be renewed' })
  }
  at = start + leaseMs * 2.5
  t.match(await deliveries.claim('alive', 'user.registered', clock()), { result: 'held' }, 'still held well past one lease')
  t.same(problems, [])
  lease.stop()
  t.equal(timers.live, 0, 'no renewal is left to run')

  at += leaseMs + 100
  timers.tick()
  const takeover = await deliveries.claim('alive', 'user.registered', clock())
  t.equal(takeover.result, 'claimed', 'once renewals stop, the claim dies within a lease')

  const lost = deliveries.keepAlive(claim, (problem) => problems.push(problem))
  at += Math.floor(leaseMs / 3)
  timers.tick()
  await eventually(() => problems.length > 0, { what: 'the old holder\'s renewal to report' })
  lost.stop()
  t.match(problems, [/taken over/], 'the old holder learns it lost the claim')
})

t.test('records expire: the sweep deletes what is past its retention, and nothing else', async (t) => {
  const { deliveries, records } = await deliveryLog(t)
  const now = new Date()
  await deliveries.markSent(claimOf(await deliveries.claim('old', 'user.registered', now)), now)
  claimOf(await deliveries.claim('recent', 'user.registered', new Date(now.getTime() + retentionMs / 2)))

  const expiry = (await deliveries.find('old'))?.expiresAt
  t.equal(expiry?.getTime(), now.getTime() + retentionMs, 'kept for the retention after its last change')
  t.equal(await deliveries.sweep(new Date(now.getTime() + retentionMs - 1)), 0, 'nothing before its time')
  t.equal(await deliveries.sweep(new Date(now.getTime() + retentionMs)), 1)
  t.same((await records()).map((record) => record._id), ['recent'])
})
