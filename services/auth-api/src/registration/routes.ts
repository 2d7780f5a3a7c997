import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { pendingCodeFields } from '../activation/pending-code.js'
import { NewCredentials, errorResponses, newPasswordFailures, rateLimited } from '../http/schemas.js'
import { networkOf } from '../codes/client-network.js'
import { requestContext } from '../events/outbox.js'
import { registerAccount } from './register-account.js'
import { Registered } from '@latchkey/shared'

const registration: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/register', {
    schema: {
      tags: ['Registration'],
      summary: 'Register with email and password; a code is emailed',
      description: 'JSON or application/x-www-form-urlencoded. A new email gives 201. An email whose account is not activated yet gives 200: the new password replaces the old one and a fresh code replaces the old code. The code is never in the response; it goes by email only. Code mails per address are limited per day, and one client network may use only part of that limit.',
      body: NewCredentials,
      response: { 201: Registered, 200: Registered, ...errorResponses(['EMAIL_INVALID', ...newPasswordFailures, 'EMAIL_TAKEN', 'CODE_MAIL_LIMIT', 'CODE_FAILURE_LIMIT', ...rateLimited]) }
    }
  }, async (request, reply) => {
    const { created, account } = await registerAccount(fastify, request.body.email, request.body.password, { context: requestContext(request), network: networkOf(request.ip) })
    if (created) void fastify.outbox.publishNew(account)
    else void fastify.outbox.publishSoon(account._id)
    return await reply.code(created ? 201 : 200).send({
      status: 'success',
      message: created
        ? 'Registration recorded. We emailed you a verification code.'
        : 'This account is not activated yet: we emailed you a new verification code.',
      user_id: account._id,
      email: account.email,
      ...pendingCodeFields(account, 'activation', fastify.codes.maxAttempts)
    })
  })
}

export default registration
