import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/**
 * Nothing the API answers may be kept by a cache unless its route says otherwise (the JWKS and
 * the docs do): answers carry tokens (RFC 6749 §5.1: MUST be no-store) or personal data, and
 * errors tell about accounts. One default beats remembering it on every route.
 */
async function noStore (fastify: FastifyInstance): Promise<void> {
  fastify.addHook('onSend', async (_request, reply, payload) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store')
    return payload
  })
}

export default fp(noStore, { name: 'no-store' })
