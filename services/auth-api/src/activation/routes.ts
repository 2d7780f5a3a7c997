import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { createEvent, EventTypes, type CodeDeliveryData } from '@latchkey/shared'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { UserDocument } from '../accounts/users.js'
import { checkCode } from '../codes/code-check.js'
import { ApiError } from '../http/errors.js'
import { basicAuthSecurity, errorResponses, PendingCode } from '../http/schemas.js'
import { codeMailLimit, EVENT_SOURCE, secondsUntil } from '../registration/register-account.js'
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

async function resendActivationCode (app: FastifyInstance, account: UserDocument, requestId: string): Promise<UserDocument> {
  for (let round = 0; round < 3; round++) {
    const now = app.clock()
    const { code, stored } = app.codes.issue('activation', account.email, now)
    const data: CodeDeliveryData = { userId: account._id, email: account.email, code, codeExpiresAt: stored.expiresAt.toISOString() }
    const event = createEvent(EventTypes.activationCodeRequested, EVENT_SOURCE, data, account._id)
    const outcome = await app.users.issueCode({
      userId: account._id, slot: 'activationCode', code: stored, event, correlationId: requestId, now, enforceCooldown: true, requiredStatus: 'pending'
    })
    switch (outcome.kind) {
      case 'issued': return outcome.user
      case 'cooldown': {
        const seconds = secondsUntil(outcome.retryAt, now)
        throw new ApiError(429, 'RESEND_TOO_SOON', `Wait ${seconds} s before asking for another code.`, { retry_after_seconds: seconds }, { 'retry-after': String(seconds) })
      }
      case 'daily-cap': throw codeMailLimit(outcome.retryAt, now)
      case 'not-pending': {
        const current = await app.users.findById(account._id)
        if (current) assertPending(current)
      }
    }
  }
  throw new ApiError(503, 'BUSY', 'This account is changing right now. Try again.', {}, { 'retry-after': '1' })
}

const activation: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/verify', {
    onRequest: fastify.basicAuth,
    schema: {
      tags: ['Activation'],
      summary: 'Activate the account with the emailed code',
      description: 'HTTP Basic authentication with email:password, and the code as verification_code (or code), JSON or form. The password is checked first. A code lives CODE_TTL_SECONDS (60 s), works once, and allows CODE_MAX_ATTEMPTS (5) tries.',
      security: basicAuthSecurity,
      body: VerifyBody,
      response: { 200: Activated, ...errorResponses(400, 401, 403, 409, 410, 429) }
    }
  }, async (request) => {
    const account = request.account!
    assertPending(account)
    const { user, code } = await checkCode(fastify, account._id, 'activationCode', 'activation', request.body.verification_code ?? request.body.code)
    const now = fastify.clock()
    if (!await fastify.users.activate(user._id, code.hash, now)) {
      throw new ApiError(409, 'ALREADY_ACTIVATED', 'This code was already used: the account is activated.')
    }
    request.log.info({ event: 'account.activated', userId: user._id }, 'account activated')
    return { status: 'success' as const, message: 'Your account is activated. You can sign in now.', activated_at: now.toISOString() }
  })

  fastify.post('/verify/resend', {
    onRequest: fastify.basicAuth,
    schema: {
      tags: ['Activation'],
      summary: 'Email a new activation code',
      description: `HTTP Basic authentication with email:password. The new code replaces the old one. At most one every RESEND_INTERVAL_SECONDS (30 s; 429 RESEND_TOO_SOON with Retry-After) and CODE_MAILS_PER_DAY (10) per account.`,
      security: basicAuthSecurity,
      response: { 200: CodeSent, ...errorResponses(401, 403, 409, 429, 503) }
    }
  }, async (request) => {
    const account = request.account!
    assertPending(account)
    const user = await resendActivationCode(fastify, account, request.id)
    void fastify.outbox.publishFor(user._id)
    return {
      status: 'success' as const,
      message: 'We emailed you a new verification code.',
      ...pendingCodeFields(user.activationCode!, user, fastify.codes.maxAttempts)
    }
  })
}

export default activation
