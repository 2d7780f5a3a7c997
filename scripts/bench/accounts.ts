// The bench's own data in the bench stack's database: emptied at the start of every run, then
// active accounts written directly (no registration, no mail), so that sign-in can be measured
// among 100 accounts and among 50,000.
import type { Db } from 'mongodb'
import { activeAccount, type AccountDocument } from '../../services/auth-api/src/accounts/account.ts'

const BATCH = 1_000

/** The address of seeded account number `n`. */
export function seededEmail (n: number): string {
  return `seed-${n}@bench.example.com`
}

/** Deletes every document of every collection; the indexes the services created at start-up stay. */
export async function emptyDatabase (db: Db): Promise<void> {
  for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
    await db.collection(name).deleteMany({})
  }
}

/**
 * Inserts active accounts number `from` to `to - 1`, in the shape the API writes them
 * (services/auth-api/src/accounts/account.ts), all with the same password hash.
 */
export async function seedActiveAccounts (db: Db, from: number, to: number, passwordHash: string): Promise<void> {
  const users = db.collection<AccountDocument>('users')
  for (let first = from; first < to; first += BATCH) {
    const now = new Date()
    const batch = Array.from({ length: Math.min(BATCH, to - first) }, (_, i) => activeAccount(seededEmail(first + i), passwordHash, ['user'], now))
    await users.insertMany(batch, { ordered: false })
  }
}
