import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { EventTypes } from '@latchkey/shared'
import { Type } from 'typebox'
import type { AccountDocument } from '../accounts/account.js'
import { combine, untilSettled } from '../accounts/accounts-store.js'
import { accountEvent, appendToOutbox, requestContext } from '../events/outbox.js'
import { bearerAuthSecurity, bearerFailures, errorResponses } from '../http/schemas.js'
import { Profile, profileOf } from '../profile/profile-view.js'
import { Refusal } from '../refusal.js'
import { endEverySession } from '../sessions/session-lifecycle.js'

const UserIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })
const AccountChanged = Type.Object({ status: Type.Literal('success'), message: Type.String(), user: Profile })
const adminFailures = [...bearerFailures, 'FORBIDDEN' as const]

const admin: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.addHook('onRequest', fastify.requireAdmin)

  async function existing (id: string): Promise<AccountDocument> {
    const account = await fastify.accounts.byId(id)
    if (!account || account.status === 'deleted') throw new Refusal('USER_NOT_FOUND')
    return account
  }

  fastify.get('/admin/users', {
    schema: {
      tags: ['Administration'],
      summary: 'List accounts, newest first, by page, optionally by status',
      security: bearerAuthSecurity,
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
    const filter = status ? { status } : { status: { $in: ['pending', 'active', 'disabled'] as AccountDocument['status'][] } }
    const [users, total] = await Promise.all([
      fastify.accounts.collection.find(filter).sort({ createdAt: -1 }).skip((page - 1) * perPage).limit(perPage).toArray(),
      fastify.accounts.collection.countDocuments(filter)
    ])
    return { status: 'success' as const, message: `${total} account${total === 1 ? '' : 's'}.`, users: users.map(profileOf), page, per_page: perPage, total }
  })

  fastify.post('/admin/users/:id/disable', {
    schema: {
      tags: ['Administration'],
      summary: 'Disable an account: it cannot sign in, and every session ends',
      description: 'Publishes user.disabled.',
      security: bearerAuthSecurity,
      params: UserIdParams,
      response: { 200: AccountChanged, ...errorResponses([...adminFailures, 'USER_NOT_FOUND', 'CANNOT_DISABLE_SELF']) }
    }
  }, async (request) => {
    if (request.params.id === request.currentUser!._id) throw new Refusal('CANNOT_DISABLE_SELF')
    const context = requestContext(request)
    const disabled = await untilSettled(async () => {
      const account = await existing(request.params.id)
      if (account.status === 'disabled') return account
      const { sessionIds, guard, update } = endEverySession(account)
      const event = accountEvent(EventTypes.userDisabled, account._id, { userId: account._id, sessionIds }, context)
      const now = fastify.clock()
      return await fastify.accounts.update(account._id, { status: account.status, ...guard }, combine({ $set: { status: 'disabled' } }, update, appendToOutbox(event, context)), now) ?? undefined
    })
    void fastify.outbox.publishSoon(disabled._id)
    request.log.info({ event: 'admin.account_disabled', userId: disabled._id, by: request.currentUser!._id }, 'account disabled')
    return { status: 'success' as const, message: 'Account disabled.', user: profileOf(disabled) }
  })

  fastify.post('/admin/users/:id/enable', {
    schema: {
      tags: ['Administration'],
      summary: 'Enable a disabled account again',
      security: bearerAuthSecurity,
      params: UserIdParams,
      response: { 200: AccountChanged, ...errorResponses([...adminFailures, 'USER_NOT_FOUND']) }
    }
  }, async (request) => {
    const enabled = await untilSettled(async () => {
      const account = await existing(request.params.id)
      if (account.status !== 'disabled') return account
      const now = fastify.clock()
      return await fastify.accounts.update(account._id, { status: 'disabled' }, { $set: { status: account.activatedAt ? 'active' : 'pending' } }, now) ?? undefined
    })
    request.log.info({ event: 'admin.account_enabled', userId: enabled._id, by: request.currentUser!._id }, 'account enabled')
    return { status: 'success' as const, message: 'Account enabled.', user: profileOf(enabled) }
  })
}

export default admin
