import { Type } from 'typebox'
import type { UserDocument } from '../accounts/users.js'

/** What an account looks like to its owner and to administrators: no secrets, no internals. */
export const Profile = Type.Object({
  id: Type.String(),
  email: Type.String(),
  status: Type.String(),
  activated: Type.Boolean(),
  roles: Type.Array(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
  activated_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()])
})

export function profileOf (user: UserDocument) {
  return {
    id: user.id,
    email: user.email,
    status: user.status,
    activated: user.activatedAt !== null,
    roles: user.roles,
    created_at: user.createdAt.toISOString(),
    activated_at: user.activatedAt?.toISOString() ?? null
  }
}
