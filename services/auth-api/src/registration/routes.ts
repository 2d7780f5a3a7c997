import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { pendingCodeFields } from '../activation/pending-code.js'
import { Credentials, PendingCode, errorResponses } from '../http/schemas.js'
import { registerAccount } from './register-account.js'

const Registered = Type.Object({
  status: Type.Literal('success'),
  message: Type.String(),
  user_id: Type.String(),
  email: Type.String(),
  ...PendingCode
})

const registration: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/register', {
    schema: {
      tags: ['Registration'],
      summary: 'Register with email and password; a code is emailed',
      description: 'JSON or application/x-www-form-urlencoded. A new email gives 201. An email whose account is not activated yet gives 200: the new password replaces the old one and a fresh code replaces the old code. The code is never in the response; it goes by email only.',
      body: Credentials,
      response: { 201: Registered, 200: Registered, ...errorResponses({ 400: ['EMAIL_INVALID', 'PASSWORD_TOO_SHORT', 'PASSWORD_TOO_LONG', 'PASSWORD_TOO_COMMON'], 409: ['EMAIL_TAKEN'], 429: ['CODE_MAIL_LIMIT'] }) }
    }
  }, async (request, reply) => {
    const { created, user } = await registerAccount(fastify, request.body.email, request.body.password, request.id)
    void fastify.outbox.publishWritten(user)
    return await reply.code(created ? 201 : 200).send({
      status: 'success',
      message: created
        ? 'Registration recorded. We emailed you a verification code.'
        : 'This account is not activated yet: we emailed you a new verification code.',
      user_id: user.id,
      email: user.email,
      ...pendingCodeFields(user.activationCode!, user, fastify.codes.maxAttempts)
    })
  })
}

export default registration
