// The outbox and retention sweeps find their accounts through sparse, non-unique indexes
// (`outboxDueAt`, `purgeAt`). mongo-java-server ignores such indexes; the launcher gives it its
// own (scripts/mongo-server/OrderedSecondaryIndex.java), so the sweeps read only what is due.
// An index that answers differently from a full read would lose or repeat events, so these
// checks hold whatever MONGO_URL points at to exactly the answers MongoDB documents, through the
// changes the sweeps see: inserts, $set, $min, $unset, deletes, and values of other types.
import t from 'tap'
import { mongoClient, uniqueName } from './helper.js'

interface Doc {
  _id: string
  due?: Date | number | string | null | Date[]
  purge?: Date
}

const at = (seconds: number): Date => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds))
const ids = (docs: Array<{ _id: string }>): string[] => docs.map((doc) => doc._id)

t.test('queries on a sparse non-unique index answer as a full read would', async (t) => {
  const client = await mongoClient(t)
  const db = client.db(uniqueName('sweep_test'))
  t.teardown(async () => { await db.dropDatabase() })
  const docs = db.collection<Doc>('docs')
  // Documents first, then the index: it is built from what is there, and kept up from then on.
  await docs.insertMany([
    { _id: 'a', due: at(30), purge: at(5) },
    { _id: 'b', due: at(10) },
    { _id: 'c' },
    { _id: 'd', due: at(20), purge: at(50) }
  ])
  await docs.createIndexes([
    { key: { due: 1 }, name: 'due', sparse: true },
    { key: { purge: 1 }, name: 'purge', sparse: true }
  ])
  await docs.insertMany([
    { _id: 'e', due: at(15) },
    { _id: 'f', due: 7 },
    { _id: 'g', due: 'soon' },
    { _id: 'h', due: null },
    { _id: 'i', due: [at(1), at(25)] }
  ])
  const dueBy = async (seconds: number, limit = 0): Promise<string[]> =>
    ids(await docs.find({ due: { $lte: at(seconds) } }).sort({ due: 1, _id: 1 }).limit(limit).toArray())

  t.same(await dueBy(20), ['i', 'b', 'e', 'd'], 'a range: only dates, in order (an array matches by any element)')
  t.same(await dueBy(20, 2), ['i', 'b'], 'sorted and limited as the outbox sweep asks')
  t.same(ids(await docs.find({ due: { $gt: at(15), $lt: at(30) } }).sort({ _id: 1 }).toArray()), ['d', 'i'], 'both bounds, strict')
  t.same(ids(await docs.find({ due: at(10) }).toArray()), ['b'], 'equality')
  t.same(ids(await docs.find({ due: { $eq: 7 } }).toArray()), ['f'], '$eq on a number')
  t.equal(await docs.countDocuments({ due: { $exists: true } }), 8, '$exists: true counts null and arrays too')
  t.same(ids(await docs.find({ due: null }).sort({ _id: 1 }).toArray()), ['c', 'h'], 'null matches missing fields, which a sparse index does not hold')

  await docs.updateOne({ _id: 'b' }, { $set: { due: at(40) } })
  await docs.updateOne({ _id: 'c' }, { $min: { due: at(12) } })
  await docs.updateOne({ _id: 'd' }, { $unset: { due: '' } })
  await docs.deleteOne({ _id: 'e' })
  t.same(await dueBy(20), ['i', 'c'], 'after $set, $min on a missing field, $unset and a delete')
  t.same(await dueBy(40), ['i', 'c', 'a', 'b'], 'the moved entry is found at its new place')

  const swept = await docs.deleteMany({ purge: { $lte: at(10) }, due: { $exists: false } })
  t.equal(swept.deletedCount, 0, 'the retention sweep keeps an account whose outbox is not empty')
  await docs.updateOne({ _id: 'a' }, { $unset: { due: '' } })
  t.equal((await docs.deleteMany({ purge: { $lte: at(10) }, due: { $exists: false } })).deletedCount, 1, 'and removes it once the outbox is empty')
  t.same(ids(await docs.find({ purge: { $lte: at(60) } }).toArray()), ['d'], 'the purge index lost the removed account')
})
