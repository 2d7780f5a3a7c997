import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { createEvent, EventTypes } from '@latchkey/shared'
import { Type } from 'typebox'
import { EVENT_SOURCE, newAccount, type UserDocument } from '../accounts/users.js'
import { assertAcceptablePassword } from '../credentials/passwords.js'
import { ApiError } from '../http/errors.js'
import { bearerAuthSecurity, bearerFailures, errorResponses, lockedOut, Password } from '../http/schemas.js'
import { nextSession } from '../sessions/sessions.js'
import { Profile, profileOf } from './profile-view.js'

const Done = Type.Object({ status: Type.Literal('success'), message: Type.String() })

const profile: FastifyPluginAsyncTypebox = async (fastify) => {
  /** Proves the password again for a sensitive change; failures count toward the lockout. */
  async function confirmPassword (user: UserDocument, password: string): Promise<void> {
    const hadFailures = await fastify.signInFailures.assertNotLocked(user.email, fastify.clock())
    if (!await fastify.passwords.verify(user.passwordHash, password)) {
      await fastify.signInFailures.recordFailure(user.email, fastify.clock())
      throw new ApiError(401, 'INVALID_PASSWORD', 'The current password is wrong.', { field: 'password' })
    }
    if (hadFailures) await fastify.signInFailures.clear(user.email)
  }

  /**
   * Erases the account but for a tombstone that carries `user.deleted` (and any mail still
   * queued) out through the outbox; the relay removes it once they are published. The
   * tombstone is written first: a crash in between leaves both, and retrying finishes the job.
   */
  async function replaceWithTombstone (current: UserDocument, requestId: string, now: Date): Promise<UserDocument> {
    const address = `deleted+${current.id}@deleted.invalid`
    const event = createEvent(EventTypes.userDeleted, EVENT_SOURCE, { userId: current.id, email: current.email }, current.id)
    const fresh = await fastify.outbox.initial(address, event, requestId)
    const tombstone = newAccount({
      id: current.id,
      email: address,
      passwordHash: '',
      status: 'deleted',
      roles: [],
      codeMail: current.codeMail,
      createdAt: current.createdAt,
      ...nextSession(current),
      ...fresh,
      outbox: { ...current.outbox, ...fresh.outbox }
    }, now)
    await fastify.users.insert(tombstone)
    await fastify.users.collection.deleteOne({ _id: current._id })
    return tombstone
  }

  fastify.get('/me', {
    onRequest: fastify.authenticate,
    schema: { tags: ['Profile'], summary: 'The signed-in account', security: bearerAuthSecurity, response: { 200: Type.Object({ status: Type.Literal('success'), user: Profile }), ...errorResponses({ 401: bearerFailures }) } }
  }, async (request) => ({ status: 'success' as const, user: profileOf(request.currentUser!) }))

  fastify.post('/me/password', {
    onRequest: fastify.authenticate,
    schema: {
      tags: ['Profile'],
      summary: 'Change the password',
      description: 'Signs out every session: refresh tokens are revoked and older access tokens refused.',
      security: bearerAuthSecurity,
      body: Type.Object({ current_password: Password, new_password: Password }, { additionalProperties: false }),
      response: { 200: Done, ...errorResponses({ 400: ['PASSWORD_TOO_SHORT', 'PASSWORD_TOO_LONG', 'PASSWORD_TOO_COMMON'], 401: [...bearerFailures, 'INVALID_PASSWORD'], 429: lockedOut }) }
    }
  }, async (request) => {
    const user = request.currentUser!
    await confirmPassword(user, request.body.current_password)
    assertAcceptablePassword(request.body.new_password, 'new_password')
    const passwordHash = await fastify.passwords.hash(request.body.new_password)
    const now = fastify.clock()
    await fastify.users.withAccount(user.email, async (current) => {
      if (current) await fastify.users.update(current, { $set: { passwordHash, ...nextSession(current) } }, now)
    })
    await fastify.refreshTokens.revokeAllFor(user.id)
    request.log.info({ event: 'account.password_changed', userId: user.id }, 'password changed')
    return { status: 'success' as const, message: 'Password changed. Sign in again with the new one.' }
  })

  fastify.delete('/me', {
    onRequest: fastify.authenticate,
    schema: {
      tags: ['Profile'],
      summary: 'Delete the account',
      description: 'Needs the password. Personal data is erased, every token revoked, and a user.deleted event published.',
      security: bearerAuthSecurity,
      body: Type.Object({ password: Password }, { additionalProperties: false }),
      response: { 200: Done, ...errorResponses({ 401: [...bearerFailures, 'INVALID_PASSWORD'], 429: lockedOut }) }
    }
  }, async (request) => {
    const user = request.currentUser!
    await confirmPassword(user, request.body.password)
    const now = fastify.clock()
    const tombstone = await fastify.users.withAccount(user.email, async (current) => {
      if (!current) return null
      return await replaceWithTombstone(current, request.id, now)
    })
    await fastify.refreshTokens.revokeAllFor(user.id)
    if (tombstone) void fastify.outbox.publishWritten(tombstone)
    request.log.info({ event: 'account.deleted', userId: user.id }, 'account deleted')
    return { status: 'success' as const, message: 'Your account is deleted.' }
  })
}

export default profile
