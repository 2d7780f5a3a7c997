import { Type } from 'typebox'
import type { SignedInAccount } from '../accounts/account.js'

/** What an account looks like to its owner and to administrators: no secrets, no internals. */
export const Profile = Type.Object({
  id: Type.String(),
  email: Type.String(),
  status: Type.String(),
  activated: Type.Boolean(),
  roles: Type.Array(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
  activated_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  sessions: Type.Integer({ minimum: 0, description: 'Sign-ins still open.' })
})

export function profileOf (account: SignedInAccount) {
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
