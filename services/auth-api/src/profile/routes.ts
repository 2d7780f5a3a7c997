import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Done, EventTypes, ProfileAnswer } from '@latchkey/shared'
import { Type } from 'typebox'
import type { Filter, UpdateFilter } from 'mongodb'
import type { AccountDocument, SignedInAccount } from '../accounts/account.js'
import { combine } from '../accounts/accounts-store.js'
import { confirmPassword } from '../credentials/credential-proof.js'
import { assertAcceptablePassword } from '../credentials/passwords.js'
import { setPassword } from '../credentials/set-password.js'
import { accountEvent, appendToOutbox, requestContext, type RequestContext } from '../events/outbox.js'
import { bearerAuthSecurity, bearerFailures, errorResponses, lockedOut, newPasswordFailures, NewPassword, Password } from '../http/schemas.js'
import { Refusal } from '../refusal.js'
import { forgetSessionCookies, TransportHeaders } from '../sessions/session-cookies.js'
import { endEverySession } from '../sessions/session-lifecycle.js'
import { profileOf } from './profile-view.js'

/** The owner's routes, under one tag, all behind the access token (the plugin's hook). */
const ownerRoute = { tags: ['Profile'], security: bearerAuthSecurity }

/** How long a deleted account's tombstone may wait for its events to go out before it is removed anyway. */
const TOMBSTONE_RETENTION_MS = 30 * 86_400_000

/**
 * Erases the account but for a tombstone that carries `user.deleted` (and any event still queued)
 * out through the outbox; the relay removes it once they are published. The address is freed at
 * once: the tombstone keeps only the account id.
 */
function tombstone (account: SignedInAccount, context: RequestContext, now: Date): { guard: Filter<AccountDocument>, update: UpdateFilter<AccountDocument> } {
  const { sessionIds, guard, update } = endEverySession(account)
  const event = accountEvent(EventTypes.userDeleted, account._id, { userId: account._id, email: account.email, sessionIds }, context)
  return {
    guard,
    update: combine(update, appendToOutbox(event, context), {
      $set: { status: 'deleted', email: `deleted+${account._id}@deleted.invalid`, passwordHash: '', roles: [], codes: {}, mailQuota: {}, purgeAt: new Date(now.getTime() + TOMBSTONE_RETENTION_MS) }
    })
  }
}

const profile: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.addHook('onRequest', fastify.authenticate)

  fastify.get('/me', {
    schema: {
      ...ownerRoute,
      summary: 'The signed-in account',
      response: { 200: ProfileAnswer, ...errorResponses(bearerFailures) }
    }
  }, async (request) => ({ status: 'success' as const, message: 'Your account.', user: profileOf(request.currentUser!) }))

  fastify.post('/me/password', {
    schema: {
      ...ownerRoute,
      summary: 'Change the password',
      description: 'Signs out every session, this one included: sign in again with the new password. Publishes user.password_changed. With X-Token-Transport: cookie, the session cookies are cleared.',
      headers: TransportHeaders,
      body: Type.Object({ current_password: Password, new_password: NewPassword }),
      response: { 200: Done, ...errorResponses([...newPasswordFailures, ...bearerFailures, 'INVALID_PASSWORD', ...lockedOut]) }
    }
  }, async (request, reply) => {
    const account = request.currentUser!
    assertAcceptablePassword(request.body.new_password, 'new_password')
    await confirmPassword(fastify, account, request.body.current_password, 'current_password')
    const passwordHash = await fastify.passwords.hash(request.body.new_password)
    const changed = await setPassword(fastify, account, {
      passwordHash, how: 'changed', expected: { status: 'active', passwordHash: account.passwordHash }, context: requestContext(request)
    })
    // Someone changed the password in between: the one just proved is no longer current.
    if (!changed) throw new Refusal('INVALID_PASSWORD', { field: 'current_password' })
    void fastify.outbox.publishSoon(account._id)
    request.log.info({ event: 'account.password_changed', userId: account._id }, 'password changed')
    forgetSessionCookies(request, reply)
    return { status: 'success' as const, message: 'Password changed. Sign in again with the new one.' }
  })

  fastify.delete('/me', {
    schema: {
      ...ownerRoute,
      summary: 'Delete the account',
      description: 'Needs the password. Personal data is erased, every session ends, the address is free again, and user.deleted is published. With X-Token-Transport: cookie, the session cookies are cleared.',
      headers: TransportHeaders,
      body: Type.Object({ password: Password }),
      response: { 200: Done, ...errorResponses([...bearerFailures, 'INVALID_PASSWORD', ...lockedOut]) }
    }
  }, async (request, reply) => {
    const account = request.currentUser!
    await confirmPassword(fastify, account, request.body.password, 'password')
    const deleted = await fastify.accounts.settle(account._id, account, (current) => {
      if (!current || current.status === 'deleted') return { done: false }
      const now = fastify.clock()
      const { guard, update } = tombstone(current, requestContext(request), now)
      return { expected: { status: current.status, ...guard }, update, now, result: () => true }
    })
    if (deleted) void fastify.outbox.publishSoon(account._id)
    request.log.info({ event: 'account.deleted', userId: account._id }, 'account deleted')
    forgetSessionCookies(request, reply)
    return { status: 'success' as const, message: 'Your account is deleted.' }
  })
}

export default profile
