// The data layer relies on the store applying each single-document write atomically, on unique
// indexes, and on a few operators behaving as MongoDB documents them. These checks run against
// whatever MONGO_URL points at, so a change of store (mongo-java-server locally, MongoDB in
// production) cannot silently break the rules built on them.
import t from 'tap'
import { mongoClient, uniqueName } from './helper.js'

interface Doc {
  _id: string
  n?: number
  state?: string
  owner?: string
  email?: string
  outbox?: Record<string, unknown>
  due?: Date
  lease?: Date
}

t.test('the store isolates single-document writes', async (t) => {
  const client = await mongoClient(t)
  const db = client.db(uniqueName('store_test'))
  t.teardown(async () => { await db.dropDatabase() })
  const docs = db.collection<Doc>('docs')

  t.test('50 parallel $inc on one document all count', async (t) => {
    await docs.insertOne({ _id: 'counter', n: 0 })
    await Promise.all(Array.from({ length: 50 }, async () => await docs.updateOne({ _id: 'counter' }, { $inc: { n: 1 } })))
    t.equal((await docs.findOne({ _id: 'counter' }))?.n, 50)
  })

  t.test('20 parallel guarded updates: exactly one matches', async (t) => {
    await docs.insertOne({ _id: 'guarded', state: 'pending' })
    const results = await Promise.all(Array.from({ length: 20 }, async (_, i) =>
      await docs.updateOne({ _id: 'guarded', state: 'pending' }, { $set: { state: 'active', owner: `racer-${i}` } })))
    t.equal(results.filter((r) => r.modifiedCount === 1).length, 1)
  })

  t.test('20 parallel findOneAndUpdate on one document: exactly one gets it', async (t) => {
    await docs.insertOne({ _id: 'claimed', state: 'free' })
    const results = await Promise.all(Array.from({ length: 20 }, async (_, i) =>
      await docs.findOneAndUpdate({ _id: 'claimed', state: 'free' }, { $set: { state: 'taken', owner: `racer-${i}` } }, { returnDocument: 'after' })))
    t.equal(results.filter((r) => r !== null).length, 1)
  })

  t.test('a guarded $inc never passes its bound under a burst (attempt reservations)', async (t) => {
    await docs.insertOne({ _id: 'bounded', n: 0 })
    const results = await Promise.all(Array.from({ length: 30 }, async () => await docs.updateOne({ _id: 'bounded', n: { $lt: 5 } }, { $inc: { n: 1 } })))
    t.equal(results.filter((r) => r.modifiedCount === 1).length, 5)
    t.equal((await docs.findOne({ _id: 'bounded' }))?.n, 5)
  })

  t.test('10 documents, 20 claimers: every claim distinct', async (t) => {
    await docs.insertMany(Array.from({ length: 10 }, (_, i) => ({ _id: `job-${i}`, state: 'queued' })))
    const claims = await Promise.all(Array.from({ length: 20 }, async (_, i) =>
      await docs.findOneAndUpdate({ _id: { $in: Array.from({ length: 10 }, (_, j) => `job-${j}`) }, state: 'queued' }, { $set: { state: 'claimed', owner: `worker-${i}` } }, { returnDocument: 'after' })))
    const claimed = claims.filter((c) => c !== null).map((c) => c!._id)
    t.equal(claimed.length, 10)
    t.equal(new Set(claimed).size, 10)
  })

  t.test('a unique index refuses a duplicate, also between parallel inserts', async (t) => {
    await docs.createIndex({ email: 1 }, { unique: true, sparse: true })
    const results = await Promise.allSettled(Array.from({ length: 10 }, async (_, i) => await docs.insertOne({ _id: `person-${i}`, email: 'same@example.com' })))
    t.equal(results.filter((r) => r.status === 'fulfilled').length, 1)
    t.ok(results.filter((r) => r.status === 'rejected').every((r) => (r.reason as { code?: number }).code === 11000))
  })

  t.test('an upsert whose filter misses an existing _id fails with a duplicate key (sign-in attempt reservations)', async (t) => {
    await docs.insertOne({ _id: 'full', n: 9 })
    await t.rejects(docs.updateOne({ _id: 'full', n: { $lt: 9 } }, { $inc: { n: 1 } }, { upsert: true }), { code: 11000 })
    await docs.updateOne({ _id: 'fresh', n: { $lt: 9 } }, { $inc: { n: 1 } }, { upsert: true })
    t.equal((await docs.findOne({ _id: 'fresh' }))?.n, 1, 'and inserts when nothing has the _id')
  })

  t.test('a guarded filter that names a unique key finds exactly what the whole filter matches', async (t) => {
    await docs.insertOne({ _id: 'guarded-lookup', email: 'guarded@example.com', state: 'active' })
    t.ok(await docs.findOne({ _id: 'guarded-lookup', state: 'active' }), 'by _id and state')
    t.equal(await docs.findOne({ _id: 'guarded-lookup', state: 'pending' }), null, 'not when the rest differs')
    t.ok(await docs.findOne({ email: 'guarded@example.com', state: 'active' }), 'by a unique field and state')
    t.equal(await docs.findOne({ email: 'guarded@example.com', state: 'pending' }), null)
    t.ok(await docs.findOne({ _id: 'guarded-lookup', $or: [{ state: 'pending' }, { state: 'active' }] }), 'with operators beside the key')
    t.equal(await docs.findOneAndUpdate({ _id: 'guarded-lookup', state: 'pending' }, { $set: { state: 'x' } }), null)
    t.equal((await docs.findOne({ _id: 'guarded-lookup' }))?.state, 'active', 'and a guarded write that misses changes nothing')
  })

  t.test('the operators the outbox relies on', async (t) => {
    const now = new Date()
    await docs.insertOne({ _id: 'outbox', outbox: { a: { at: now } } })
    await docs.updateOne({ _id: 'outbox' }, { $min: { due: now } })
    t.same((await docs.findOne({ _id: 'outbox' }))?.due, now, '$min sets a missing field')
    await docs.updateOne({ _id: 'outbox' }, { $min: { due: new Date(now.getTime() + 1000) } })
    t.same((await docs.findOne({ _id: 'outbox' }))?.due, now, '$min keeps an earlier value')
    t.equal(await docs.countDocuments({ _id: 'outbox', lease: { $not: { $gt: now } } }), 1, '$not $gt matches a missing field')
    t.equal(await docs.countDocuments({ _id: 'outbox', outbox: { a: { at: now } } }), 1, 'an embedded document matches itself exactly')
    await docs.updateOne({ _id: 'outbox' }, { $unset: { 'outbox.a': '' } })
    t.equal(await docs.countDocuments({ _id: 'outbox', outbox: {} }), 1, 'and an emptied one matches {}')
  })
})
