import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Done, EventTypes, isDeliverableAddress, normalizeEmail, ResetRequested } from '@latchkey/shared'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { AccountDocument } from '../accounts/account.js'
import { networkOf } from '../codes/client-network.js'
import { assertWellFormedCode, presentedCode, useCode } from '../codes/code-attempts.js'
import { issueCode } from '../codes/issue-code.js'
import { assertAcceptablePassword } from '../credentials/passwords.js'
import { rememberDevice } from '../credentials/device-tokens.js'
import { setPassword } from '../credentials/set-password.js'
import { requestContext } from '../events/outbox.js'
import { Email, EmailedCode, NewPassword, errorResponses, newPasswordFailures, rateLimited } from '../http/schemas.js'
import { Refusal } from '../refusal.js'

/**
 * A wrong, expired or used-up reset code, and an address with no active account, all get the
 * same answer: anything finer would tell a stranger which addresses have accounts.
 */
function assertActive (account: AccountDocument | null): asserts account is AccountDocument {
  if (account?.status !== 'active') throw new Refusal('CODE_REJECTED')
}

const codeRefusals = new Set(['CODE_INVALID', 'CODE_EXPIRED', 'CODE_EXHAUSTED'])

const passwordReset: FastifyPluginAsyncTypebox = async (fastify) => {
  /** Issues a reset code if the address belongs to an active account and its limits allow; silent either way. */
  async function sendResetCode (email: string, request: FastifyRequest, requestedAt: Date): Promise<void> {
    const account = await fastify.accounts.byEmail(email)
    if (account?.status !== 'active') return
    const issued = await issueCode(fastify, account, {
      purpose: 'password-reset', eventType: EventTypes.passwordResetRequested, context: requestContext(request), enforceCooldown: true, network: networkOf(request.ip), requestedAt
    }, assertActive).catch((err: unknown) => {
      // Limits apply silently here: telling the caller would reveal that the account exists.
      if (err instanceof Refusal) return null
      throw err
    })
    if (issued) await fastify.outbox.publishSoon(issued._id)
  }

  fastify.post('/password/forgot', {
    schema: {
      tags: ['Password reset'],
      summary: 'Email a reset code',
      description: '202 for every well-formed address, whether or not it has an account, and in the same time: the work happens after the answer. Active accounts get a code by email, within limits of their own (RESEND_INTERVAL_SECONDS, CODE_MAILS_PER_DAY), apart from those of activation codes.',
      body: Type.Object({ email: Email }),
      response: { 202: ResetRequested, ...errorResponses(['EMAIL_INVALID', ...rateLimited]) }
    }
  }, async (request, reply) => {
    const email = normalizeEmail(request.body.email)
    if (!isDeliverableAddress(email)) throw new Refusal('EMAIL_INVALID', { field: 'email' })
    const requestedAt = fastify.clock()
    await reply.code(202).send({
      status: 'success',
      message: 'If an account uses this address, we emailed it a reset code.',
      code_ttl_seconds: fastify.codes.ttlSeconds,
      resend_interval_seconds: fastify.mailLimits.intervalSeconds
    })
    // Answered first, so the time taken tells nothing about the address. A failure here loses
    // only this request for a code, which the person can simply repeat.
    await sendResetCode(email, request, requestedAt).catch((err: unknown) => { request.log.error({ err }, 'issuing a reset code failed') })
    return reply
  })

  fastify.post('/password/reset', {
    schema: {
      tags: ['Password reset'],
      summary: 'Set a new password with the emailed code',
      description: 'Same code rules as activation: lifetime, attempts, single use; but a wrong, expired or used-up code, or an address without an active account, all answer 403 CODE_REJECTED, so nothing tells which addresses have accounts. Codes are RESET_CODE_LENGTH (default 8) digits. Every try counts toward the address\'s daily cap across codes (CODE_FAILURES_PER_DAY, default 10; 429 CODE_FAILURE_LIMIT, the same for every address), never toward the sign-in lockout. Signs out every session, publishes user.password_changed, and the owner is mailed a notice.',
      body: Type.Object({
        email: Email,
        code: Type.Optional(EmailedCode(fastify.codes.lengthOf('password-reset'), 'The digits from the email.')),
        verification_code: Type.Optional(EmailedCode(fastify.codes.lengthOf('password-reset'), 'Alias of code.')),
        new_password: NewPassword
      }),
      response: { 200: Done, ...errorResponses(['CODE_MISSING', 'CODE_MALFORMED', ...newPasswordFailures, 'CODE_REJECTED', 'CODE_FAILURE_LIMIT', ...rateLimited]) }
    }
  }, async (request, reply) => {
    const email = normalizeEmail(request.body.email)
    const candidate = presentedCode(request.body)
    assertWellFormedCode(fastify.codes, 'password-reset', candidate)
    assertAcceptablePassword(request.body.new_password, 'new_password')
    // No sign-in lockout here: a locked-out owner must still be able to recover. Guessing is
    // bounded by the code's own tries and the address's daily cap across codes (useCode).
    let used
    try {
      used = await useCode(fastify, email, await fastify.accounts.byEmail(email), 'password-reset', candidate, assertActive)
    } catch (err) {
      if (err instanceof Refusal && codeRefusals.has(err.code)) throw new Refusal('CODE_REJECTED')
      throw err
    }
    const { account, code } = used
    const passwordHash = await fastify.passwords.hash(request.body.new_password)
    const reset = await setPassword(fastify, account, {
      passwordHash,
      how: 'reset',
      expected: { status: 'active', 'codes.password-reset.hash': code.hash },
      alongside: { $unset: { 'codes.password-reset': '' } },
      context: requestContext(request)
    })
    // The same code was used by a parallel request first: it works once.
    if (!reset) throw new Refusal('CODE_REJECTED')
    void fastify.outbox.publishSoon(account._id)
    // The mailbox was proved: this browser now signs in apart from the pool strangers fill.
    rememberDevice(reply, fastify.deviceTokens, account.email, fastify.clock())
    request.log.info({ event: 'account.password_reset', userId: account._id }, 'password reset')
    return { status: 'success' as const, message: 'Your password is changed. Sign in with the new one.' }
  })
}

export default passwordReset
