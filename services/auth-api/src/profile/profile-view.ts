import type { Profile } from '@latchkey/shared'
import type { SignedInAccount } from '../accounts/account.js'

/** What an account looks like to its owner and to administrators: no secrets, no internals. */
export function profileOf (account: SignedInAccount): Profile {
  return {
    id: account._id,
    email: account.email,
    status: account.status,
    activated: account.activatedAt !== null,
    roles: account.roles,
    created_at: account.createdAt.toISOString(),
    activated_at: account.activatedAt?.toISOString() ?? null,
    sessions: Object.keys(account.sessions).length
  }
}
