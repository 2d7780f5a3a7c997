import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

export interface OpenApiOptions {
  publicUrl: string
}

/** The OpenAPI 3 document is generated from the route schemas, so it cannot drift from the code. */
async function openapi (fastify: FastifyInstance, { publicUrl }: OpenApiOptions): Promise<void> {
  await fastify.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Latchkey auth API',
        version: '0.1.0',
        description: 'Registration, email verification and sign-in. Every error body is `{status: "error", code, message}` with a stable `code`.'
      },
      servers: [{ url: publicUrl }],
      components: {
        securitySchemes: {
          basicAuth: { type: 'http', scheme: 'basic', description: 'email:password' },
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }
        }
      }
    }
  })
  await fastify.register(fastifySwaggerUi, { routePrefix: '/docs' })
}

export default fp(openapi, { name: 'openapi' })
