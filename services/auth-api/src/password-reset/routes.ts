import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { EventTypes } from '@latchkey/shared'
import { Type } from 'typebox'
import { isDeliverableAddress, normalizeEmail } from '@latchkey/shared'
import { assertWellFormedCode, checkCode, presentedCode } from '../codes/code-check.js'
import { assertAcceptablePassword } from '../credentials/passwords.js'
import { ApiError } from '../http/errors.js'
import { Email, Password, errorResponses, lockedOut } from '../http/schemas.js'
import { nextSession } from '../sessions/sessions.js'
import { issueCode } from '../codes/issue-code.js'

/**
 * A wrong, expired or used-up reset code, and an address with no active account, all get the
 * same answer: anything finer would tell a stranger which addresses have accounts.
 */
const rejections = new Set(['CODE_INVALID', 'CODE_EXPIRED', 'CODE_EXHAUSTED', 'CODE_REJECTED'])

function codeRejected (): ApiError {
  return new ApiError(403, 'CODE_REJECTED', 'This code is wrong or no longer valid. Check it, or ask for a new one.')
}

const Accepted = Type.Object({ status: Type.Literal('success'), message: Type.String() })

const passwordReset: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/password/forgot', {
    schema: {
      tags: ['Password reset'],
      summary: 'Email a reset code',
      description: '202 for every well-formed address, whether or not it has an account, so it reveals nothing. Active accounts get a code by email, within the same limits as activation codes.',
      body: Type.Object({ email: Email }, { additionalProperties: false }),
      response: { 202: Accepted, ...errorResponses({ 400: ['EMAIL_INVALID'] }) }
    }
  }, async (request, reply) => {
    const email = normalizeEmail(request.body.email)
    if (!isDeliverableAddress(email)) throw new ApiError(400, 'EMAIL_INVALID', 'This does not look like an email address.', { field: 'email' })
    const user = await fastify.users.withAccount(email, async (current) => {
      if (current?.status !== 'active') return null
      return await issueCode(fastify, current, {
        slot: 'resetCode', purpose: 'password-reset', eventType: EventTypes.passwordResetRequested, requestId: request.id, now: fastify.clock(), enforceCooldown: true
      }).catch((err: unknown) => {
        // Limits apply silently here: telling the caller would reveal that the account exists.
        if (err instanceof ApiError && err.statusCode === 429) return null
        throw err
      })
    })
    if (user) void fastify.outbox.publishWritten(user)
    return await reply.code(202).send({ status: 'success', message: 'If an account uses this address, we emailed it a reset code.' })
  })

  fastify.post('/password/reset', {
    schema: {
      tags: ['Password reset'],
      summary: 'Set a new password with the emailed code',
      description: 'Same code rules as activation: lifetime, attempts, single use; but a wrong, expired or used-up code, or an address without an active account, all answer 403 CODE_REJECTED, so nothing tells which addresses have accounts. Wrong codes count toward the lockout. Signs out every session.',
      body: Type.Object({
        email: Email,
        code: Type.Optional(Type.String({ maxLength: 32 })),
        verification_code: Type.Optional(Type.String({ maxLength: 32, description: 'Alias of code.' })),
        new_password: Password
      }, { additionalProperties: false }),
      response: { 200: Accepted, ...errorResponses({ 400: ['CODE_MISSING', 'CODE_MALFORMED', 'PASSWORD_TOO_SHORT', 'PASSWORD_TOO_LONG', 'PASSWORD_TOO_COMMON'], 403: ['CODE_REJECTED'], 429: lockedOut }) }
    }
  }, async (request) => {
    const email = normalizeEmail(request.body.email)
    const candidate = presentedCode(request.body)
    assertWellFormedCode(fastify, candidate)
    assertAcceptablePassword(request.body.new_password, 'new_password')
    await fastify.signInFailures.assertNotLocked(email, fastify.clock())
    const passwordHash = await fastify.passwords.hash(request.body.new_password)
    const userId = await fastify.users.withAccount(email, async (user) => {
      try {
        if (user?.status !== 'active') throw codeRejected()
        await checkCode(fastify, user, 'resetCode', 'password-reset', candidate)
      } catch (err) {
        if (!(err instanceof ApiError && rejections.has(err.code))) throw err
        await fastify.signInFailures.recordFailure(email, fastify.clock())
        throw codeRejected()
      }
      const now = fastify.clock()
      await fastify.users.update(user, { $set: { passwordHash, resetCode: null, ...nextSession(user) } }, now)
      return user.id
    })
    await fastify.signInFailures.clear(email)
    await fastify.refreshTokens.revokeAllFor(userId)
    request.log.info({ event: 'account.password_reset', userId }, 'password reset')
    return { status: 'success' as const, message: 'Your password is changed. Sign in with the new one.' }
  })
}

export default passwordReset
