/** MongoDB's error code when a unique index (`_id` included) refuses a write. */
const DUPLICATE_KEY = 11000

export function isDuplicateKey (err: unknown): boolean {
  return (err as { code?: number }).code === DUPLICATE_KEY
}

/** Whether the database answers a ping now. */
export async function databaseReachable (db: { command: (command: { ping: 1 }) => Promise<unknown> }): Promise<boolean> {
  try {
    await db.command({ ping: 1 })
    return true
  } catch {
    return false
  }
}
