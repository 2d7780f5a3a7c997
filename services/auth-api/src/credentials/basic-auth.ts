import fastifyBasicAuth from '@fastify/basic-auth'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { UserDocument } from '../accounts/users.js'
import { normalizeEmail } from '@latchkey/shared'
import { ApiError } from '../http/errors.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The account whose email and password the request proved, set by `basicAuth`. */
    account: UserDocument | null
  }
}

export const REALM = 'latchkey'

export function invalidCredentials (): ApiError {
  return new ApiError(401, 'INVALID_CREDENTIALS', 'Wrong email or password.')
}

/**
 * HTTP Basic authentication with the account's email and password. An unknown email still
 * pays for a full argon2 verification, so timing does not tell which addresses exist.
 */
async function basicAuth (fastify: FastifyInstance): Promise<void> {
  fastify.decorateRequest('account', null)
  await fastify.register(fastifyBasicAuth, {
    authenticate: { realm: REALM },
    validate: async (username: string, password: string, request: FastifyRequest) => {
      const email = normalizeEmail(username)
      const user = await fastify.users.findByEmail(email)
      const hadFailures = await fastify.signInFailures.assertNotLocked(email, fastify.clock())
      const valid = await fastify.passwords.verify(user?.passwordHash, password)
      if (!user || !valid) {
        await fastify.signInFailures.recordFailure(email, fastify.clock())
        request.log.info({ event: 'auth.basic.failed' }, 'basic authentication failed')
        throw invalidCredentials()
      }
      if (hadFailures) await fastify.signInFailures.clear(email)
      request.account = user
    }
  })
}

export default fp(basicAuth, { name: 'basic-auth', dependencies: ['accounts'] })
