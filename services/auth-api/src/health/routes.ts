import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { databaseReachable } from '../storage/database.js'

const Health = Type.Object({ status: Type.Literal('ok'), service: Type.String(), replica: Type.String() })
const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not-ready')]),
  replica: Type.String(),
  database: Type.Boolean(),
  broker: Type.Boolean()
})

export interface HealthOptions {
  replicaId: string
}

const health: FastifyPluginAsyncTypebox<HealthOptions> = async (fastify, { replicaId }) => {
  fastify.get('/health', {
    logLevel: 'warn',
    schema: { tags: ['Operations'], summary: 'Liveness: the process answers; says which replica', response: { 200: Health } }
  }, async () => ({ status: 'ok' as const, service: 'auth-api', replica: replicaId }))

  fastify.get('/ready', {
    logLevel: 'warn',
    schema: { tags: ['Operations'], summary: 'Readiness: the database and the broker are reachable', response: { 200: Readiness, 503: Readiness } }
  }, async (_request, reply) => {
    const database = await databaseReachable(fastify.db)
    const broker = fastify.broker.connected
    const ready = database && broker
    return await reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', replica: replicaId, database, broker })
  })
}

export default health
