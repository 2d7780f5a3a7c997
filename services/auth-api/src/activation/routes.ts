import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Activated, CodeSent, EventTypes } from '@latchkey/shared'
import { Type } from 'typebox'
import type { AccountDocument } from '../accounts/account.js'
import { assertWellFormedCode, presentedCode, useCode } from '../codes/code-attempts.js'
import { issueCode } from '../codes/issue-code.js'
import { rememberDevice } from '../credentials/device-tokens.js'
import { requestContext } from '../events/outbox.js'
import { absentBodyAsEmpty } from '../http/optional-body.js'
import { EmailedCode, basicAuthFailures, basicAuthSecurity, errorResponses, rateLimited } from '../http/schemas.js'
import { Refusal } from '../refusal.js'
import { pendingCodeFields } from './pending-code.js'

function verifyBody (codeLength: number) {
  return Type.Object({
    verification_code: Type.Optional(EmailedCode(codeLength, 'The digits from the email.')),
    code: Type.Optional(EmailedCode(codeLength, 'Alias of verification_code.'))
  })
}

function assertPending (account: AccountDocument | null): asserts account is AccountDocument {
  if (!account || account.status === 'deleted') throw new Refusal('INVALID_CREDENTIALS')
  if (account.status === 'active') throw new Refusal('ALREADY_ACTIVATED')
  if (account.status === 'disabled') throw new Refusal('ACCOUNT_DISABLED')
}

const activation: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/verify', {
    onRequest: fastify.basicAuth,
    preValidation: absentBodyAsEmpty,
    schema: {
      tags: ['Activation'],
      summary: 'Activate the account with the emailed code',
      description: 'HTTP Basic authentication with email:password, and the code as verification_code (or code), JSON or form. The password is checked first. A code lives CODE_TTL_SECONDS (default 60 s), works once, and allows CODE_MAX_ATTEMPTS (default 5) tries; across codes, CODE_FAILURES_PER_DAY (default 10) wrong codes in 24 hours stop activation codes for the address until the window ends (429 CODE_FAILURE_LIMIT).',
      security: basicAuthSecurity,
      body: verifyBody(fastify.codes.lengthOf('activation')),
      response: {
        200: Activated,
        ...errorResponses(['CODE_MISSING', 'CODE_MALFORMED', ...basicAuthFailures, 'CODE_INVALID', 'ACCOUNT_DISABLED', 'ALREADY_ACTIVATED', 'CODE_EXPIRED', 'CODE_EXHAUSTED', 'CODE_FAILURE_LIMIT', ...rateLimited])
      }
    }
  }, async (request, reply) => {
    const candidate = presentedCode(request.body)
    assertWellFormedCode(fastify.codes, 'activation', candidate)
    const { account, code } = await useCode(fastify, request.account!.email, request.account!, 'activation', candidate, assertPending)
    const now = fastify.clock()
    const activated = await fastify.accounts.updateIf(account._id, { status: 'pending', 'codes.activation.hash': code.hash }, {
      $set: { status: 'active', activatedAt: now },
      $unset: { 'codes.activation': '', purgeAt: '' }
    }, now)
    // Another request with the same code got there first.
    if (!activated) throw new Refusal('ALREADY_ACTIVATED')
    rememberDevice(reply, fastify.deviceTokens, account.email, now)
    request.log.info({ event: 'account.activated', userId: account._id }, 'account activated')
    return { status: 'success' as const, message: 'Your account is activated. You can sign in now.', activated_at: now.toISOString() }
  })

  fastify.post('/verify/resend', {
    onRequest: fastify.basicAuth,
    schema: {
      tags: ['Activation'],
      summary: 'Email a new activation code',
      description: 'HTTP Basic authentication with email:password. The new code replaces the old one. At most one every RESEND_INTERVAL_SECONDS (default 30 s; 429 RESEND_TOO_SOON with Retry-After) and CODE_MAILS_PER_DAY (default 10) per account.',
      security: basicAuthSecurity,
      response: { 200: CodeSent, ...errorResponses([...basicAuthFailures, 'ACCOUNT_DISABLED', 'ALREADY_ACTIVATED', 'RESEND_TOO_SOON', 'CODE_MAIL_LIMIT', 'CODE_FAILURE_LIMIT', ...rateLimited]) }
    }
  }, async (request) => {
    const account = await issueCode(fastify, request.account!, {
      purpose: 'activation', eventType: EventTypes.activationCodeRequested, context: requestContext(request), enforceCooldown: true
    }, assertPending)
    void fastify.outbox.publishSoon(account._id)
    return { status: 'success' as const, message: 'We emailed you a new verification code.', ...pendingCodeFields(account, 'activation', fastify.codes.maxAttempts) }
  })
}

export default activation
