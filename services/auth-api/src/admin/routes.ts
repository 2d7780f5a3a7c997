import { Profile, ProfileAnswer } from '@latchkey/shared'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { requestContext } from '../events/outbox.js'
import { bearerAuthSecurity, bearerFailures, errorResponses } from '../http/schemas.js'
import { profileOf } from '../profile/profile-view.js'
import { Refusal } from '../refusal.js'
import { disableAccount, enableAccount } from './account-status.js'

const UserIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })
const adminFailures = [...bearerFailures, 'FORBIDDEN' as const]

/** Every route here: documented under one tag, and behind the access token the plugin's hook checks. */
const adminRoute = { tags: ['Administration'], security: bearerAuthSecurity }

const admin: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.addHook('onRequest', fastify.requireAdmin)

  fastify.get('/admin/users', {
    schema: {
      ...adminRoute,
      summary: 'List accounts, newest first, by page, optionally by status',
      querystring: Type.Object({
        status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('active'), Type.Literal('disabled')])),
        page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 1 })),
        per_page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 }))
      }),
      response: {
        200: Type.Object({ status: Type.Literal('success'), message: Type.String(), users: Type.Array(Profile), page: Type.Integer(), per_page: Type.Integer(), total: Type.Integer() }),
        ...errorResponses(adminFailures)
      }
    }
  }, async (request) => {
    const { status, page = 1, per_page: perPage = 20 } = request.query
    const { accounts, total } = await fastify.accounts.page({ status, page, perPage })
    return { status: 'success' as const, message: `${total} account${total === 1 ? '' : 's'}.`, users: accounts.map(profileOf), page, per_page: perPage, total }
  })

  fastify.post('/admin/users/:id/disable', {
    schema: {
      ...adminRoute,
      summary: 'Disable an account: it cannot sign in, and every session ends',
      description: 'Publishes user.disabled.',
      params: UserIdParams,
      response: { 200: ProfileAnswer, ...errorResponses([...adminFailures, 'USER_NOT_FOUND', 'CANNOT_DISABLE_SELF']) }
    }
  }, async (request) => {
    if (request.params.id === request.currentUser!._id) throw new Refusal('CANNOT_DISABLE_SELF')
    const disabled = await disableAccount(fastify, request.params.id, requestContext(request))
    void fastify.outbox.publishSoon(disabled._id)
    request.log.info({ event: 'admin.account_disabled', userId: disabled._id, by: request.currentUser!._id }, 'account disabled')
    return { status: 'success' as const, message: 'Account disabled.', user: profileOf(disabled) }
  })

  fastify.post('/admin/users/:id/enable', {
    schema: {
      ...adminRoute,
      summary: 'Enable a disabled account again',
      params: UserIdParams,
      response: { 200: ProfileAnswer, ...errorResponses([...adminFailures, 'USER_NOT_FOUND']) }
    }
  }, async (request) => {
    const enabled = await enableAccount(fastify, request.params.id)
    request.log.info({ event: 'admin.account_enabled', userId: enabled._id, by: request.currentUser!._id }, 'account enabled')
    return { status: 'success' as const, message: 'Account enabled.', user: profileOf(enabled) }
  })
}

export default admin
