import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { EventTypes } from '@latchkey/shared'
import { Type } from 'typebox'
import type { UserDocument } from '../accounts/users.js'
import { checkCode, presentedCode } from '../codes/code-check.js'
import { ApiError } from '../http/errors.js'
import { absentBodyAsEmpty } from '../http/optional-body.js'
import { PendingCode, basicAuthFailures, basicAuthSecurity, errorResponses, lockedOut } from '../http/schemas.js'
import { invalidCredentials } from '../credentials/basic-auth.js'
import { issueCode } from '../codes/issue-code.js'
import { pendingCodeFields } from './pending-code.js'

const VerifyBody = Type.Object({
  verification_code: Type.Optional(Type.String({ maxLength: 32, description: 'The digits from the email.', examples: ['0427'] })),
  code: Type.Optional(Type.String({ maxLength: 32, description: 'Alias of verification_code.' }))
}, { additionalProperties: false })

const Activated = Type.Object({
  status: Type.Literal('success'),
  message: Type.String(),
  activated_at: Type.String({ format: 'date-time' })
})

const CodeSent = Type.Object({
  status: Type.Literal('success'),
  message: Type.String(),
  ...PendingCode
})

function assertPending (account: UserDocument): void {
  if (account.status === 'active') throw new ApiError(409, 'ALREADY_ACTIVATED', 'This account is already activated. Sign in instead.')
  if (account.status === 'disabled') throw new ApiError(403, 'ACCOUNT_DISABLED', 'This account is disabled.')
}

const activation: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/verify', {
    onRequest: fastify.basicAuth,
    preValidation: absentBodyAsEmpty,
    schema: {
      tags: ['Activation'],
      summary: 'Activate the account with the emailed code',
      description: 'HTTP Basic authentication with email:password, and the code as verification_code (or code), JSON or form. The password is checked first. A code lives CODE_TTL_SECONDS (default 60 s), works once, and allows CODE_MAX_ATTEMPTS (default 5) tries.',
      security: basicAuthSecurity,
      body: VerifyBody,
      response: { 200: Activated, ...errorResponses({ 400: ['CODE_MISSING', 'CODE_MALFORMED'], 401: basicAuthFailures, 403: ['CODE_INVALID', 'ACCOUNT_DISABLED'], 409: ['ALREADY_ACTIVATED'], 410: ['CODE_EXPIRED'], 429: ['CODE_EXHAUSTED', ...lockedOut] }) }
    }
  }, async (request) => {
    const activatedAt = await fastify.users.withAccount(request.account!.email, async (user) => {
      if (!user) throw invalidCredentials()
      assertPending(user)
      await checkCode(fastify, user, 'activationCode', 'activation', presentedCode(request.body))
      const now = fastify.clock()
      await fastify.users.update(user, { $set: { status: 'active', activatedAt: now, activationCode: null } }, now)
      request.log.info({ event: 'account.activated', userId: user.id }, 'account activated')
      return now
    })
    return { status: 'success' as const, message: 'Your account is activated. You can sign in now.', activated_at: activatedAt.toISOString() }
  })

  fastify.post('/verify/resend', {
    onRequest: fastify.basicAuth,
    schema: {
      tags: ['Activation'],
      summary: 'Email a new activation code',
      description: 'HTTP Basic authentication with email:password. The new code replaces the old one. At most one every RESEND_INTERVAL_SECONDS (default 30 s; 429 RESEND_TOO_SOON with Retry-After) and CODE_MAILS_PER_DAY (default 10) per account.',
      security: basicAuthSecurity,
      response: { 200: CodeSent, ...errorResponses({ 401: basicAuthFailures, 403: ['ACCOUNT_DISABLED'], 409: ['ALREADY_ACTIVATED'], 429: ['RESEND_TOO_SOON', 'CODE_MAIL_LIMIT', ...lockedOut] }) }
    }
  }, async (request) => {
    const user = await fastify.users.withAccount(request.account!.email, async (current) => {
      if (!current) throw invalidCredentials()
      assertPending(current)
      return await issueCode(fastify, current, {
        slot: 'activationCode', purpose: 'activation', eventType: EventTypes.activationCodeRequested, requestId: request.id, now: fastify.clock(), enforceCooldown: true
      })
    })
    void fastify.outbox.publishWritten(user)
    return {
      status: 'success' as const,
      message: 'We emailed you a new verification code.',
      ...pendingCodeFields(user.activationCode!, user, fastify.codes.maxAttempts)
    }
  })
}

export default activation
