import fastifyBasicAuth from '@fastify/basic-auth'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { AccountDocument } from '../accounts/account.js'
import { Refusal } from '../refusal.js'
import { proveCredentials } from './credential-proof.js'
import { presentedDeviceToken } from './device-tokens.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The account whose email and password the request proved, set by `basicAuth`. */
    account: AccountDocument | null
  }
}

export const REALM = 'latchkey'

/**
 * HTTP Basic authentication with the account's email and password, under the same rules as
 * sign-in (see proveCredentials). @fastify/basic-auth answers a refusal with WWW-Authenticate.
 */
async function basicAuth (fastify: FastifyInstance): Promise<void> {
  fastify.decorateRequest('account', null)
  await fastify.register(fastifyBasicAuth, {
    authenticate: { realm: REALM },
    validate: async (username: string, password: string, request: FastifyRequest) => {
      try {
        request.account = await proveCredentials(fastify, username, password, presentedDeviceToken(request))
      } catch (err) {
        if (err instanceof Refusal && err.code === 'INVALID_CREDENTIALS') request.log.info({ event: 'auth.basic.failed' }, 'basic authentication failed')
        throw err
      }
    }
  })
}

export default fp(basicAuth, { name: 'basic-auth', dependencies: ['accounts'] })
