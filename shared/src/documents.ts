import type { Collection, Document, OptionalUnlessRequiredId } from 'mongodb'

const DUPLICATE_KEY = 11000

/**
 * Inserts unless a document with the same unique key exists; false when one does. Refusing a
 * duplicate key is the one write every MongoDB-compatible server, FerretDB v1 included, does
 * atomically, so locks, claims and tickets are built on it.
 */
export async function insertIfAbsent<T extends Document> (collection: Collection<T>, document: OptionalUnlessRequiredId<T>): Promise<boolean> {
  try {
    await collection.insertOne(document)
    return true
  } catch (err) {
    if ((err as { code?: number }).code === DUPLICATE_KEY) return false
    throw err
  }
}
