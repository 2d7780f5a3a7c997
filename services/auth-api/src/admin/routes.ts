import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { UserDocument } from '../accounts/users.js'
import { ApiError } from '../http/errors.js'
import { bearerAuthSecurity, bearerFailures, errorResponses } from '../http/schemas.js'
import { Profile, profileOf } from '../profile/profile-view.js'
import { nextSession } from '../sessions/sessions.js'

const UserIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })
const AccountChanged = Type.Object({ status: Type.Literal('success'), message: Type.String(), user: Profile })

const admin: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.addHook('onRequest', fastify.requireAdmin)

  async function changeAccount (id: string, change: (user: UserDocument, now: Date) => Partial<UserDocument>): Promise<UserDocument> {
    const found = await fastify.users.findById(id)
    if (!found || found.status === 'deleted') throw new ApiError(404, 'USER_NOT_FOUND', 'No account has this id.')
    return await fastify.users.withAccount(found.email, async (user) => {
      if (!user) throw new ApiError(404, 'USER_NOT_FOUND', 'No account has this id.')
      const now = fastify.clock()
      return await fastify.users.update(user, { $set: change(user, now) }, now)
    })
  }

  fastify.get('/admin/users', {
    schema: {
      tags: ['Administration'],
      summary: 'List accounts, newest first, by page, optionally by status',
      security: bearerAuthSecurity,
      querystring: Type.Object({
        status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('active'), Type.Literal('disabled')])),
        page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
        per_page: Type.Integer({ minimum: 1, maximum: 100, default: 20 })
      }, { additionalProperties: false }),
      response: {
        200: Type.Object({ status: Type.Literal('success'), users: Type.Array(Profile), page: Type.Integer(), per_page: Type.Integer(), total: Type.Integer() }),
        ...errorResponses({ 401: bearerFailures, 403: ['FORBIDDEN'] })
      }
    }
  }, async (request) => {
    const { status, page, per_page: perPage } = request.query
    const filter = status ? { status } : { status: { $in: ['pending', 'active', 'disabled'] as UserDocument['status'][] } }
    const [users, total] = await Promise.all([
      fastify.users.collection.find(filter).sort({ createdAt: -1 }).skip((page - 1) * perPage).limit(perPage).toArray(),
      fastify.users.collection.countDocuments(filter)
    ])
    return { status: 'success' as const, users: users.map(profileOf), page, per_page: perPage, total }
  })

  fastify.post('/admin/users/:id/disable', {
    schema: {
      tags: ['Administration'],
      summary: 'Disable an account: it cannot sign in, and its tokens stop working',
      security: bearerAuthSecurity,
      params: UserIdParams,
      response: { 200: AccountChanged, ...errorResponses({ 401: bearerFailures, 403: ['FORBIDDEN'], 404: ['USER_NOT_FOUND'], 409: ['CANNOT_DISABLE_SELF'] }) }
    }
  }, async (request) => {
    if (request.params.id === request.currentUser!.id) throw new ApiError(409, 'CANNOT_DISABLE_SELF', 'An administrator cannot disable their own account.')
    const user = await changeAccount(request.params.id, (current) => ({ status: 'disabled', ...nextSession(current) }))
    await fastify.refreshTokens.revokeAllFor(user.id)
    request.log.info({ event: 'admin.account_disabled', userId: user.id, by: request.currentUser!.id }, 'account disabled')
    return { status: 'success' as const, message: 'Account disabled.', user: profileOf(user) }
  })

  fastify.post('/admin/users/:id/enable', {
    schema: {
      tags: ['Administration'],
      summary: 'Enable a disabled account again',
      security: bearerAuthSecurity,
      params: UserIdParams,
      response: { 200: AccountChanged, ...errorResponses({ 401: bearerFailures, 403: ['FORBIDDEN'], 404: ['USER_NOT_FOUND'] }) }
    }
  }, async (request) => {
    const user = await changeAccount(request.params.id, (current) => ({ status: current.activatedAt ? 'active' : 'pending' }))
    request.log.info({ event: 'admin.account_enabled', userId: user.id, by: request.currentUser!.id }, 'account enabled')
    return { status: 'success' as const, message: 'Account enabled.', user: profileOf(user) }
  })
}

export default admin
