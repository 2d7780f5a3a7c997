import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { errorBody } from '../http/errors.js'
import { databaseReachable } from '../storage/database.js'

const Health = Type.Object({ status: Type.Literal('success'), message: Type.String(), service: Type.String(), replica: Type.String() })
const Dependencies = { replica: Type.String(), database: Type.Boolean(), broker: Type.Boolean() }
const Ready = Type.Object({ status: Type.Literal('success'), message: Type.String(), ...Dependencies })
const NotReady = Type.Object({
  status: Type.Literal('error'),
  code: Type.Literal('NOT_READY'),
  message: Type.String(),
  retry_after_seconds: Type.Optional(Type.Integer()),
  ...Dependencies
})

export interface HealthOptions {
  replicaId: string
}

/** Seconds a load balancer should wait before asking a replica that is not ready again. */
const NOT_READY_RETRY_SECONDS = 5

const health: FastifyPluginAsyncTypebox<HealthOptions> = async (fastify, { replicaId }) => {
  fastify.get('/health', {
    logLevel: 'warn',
    schema: { tags: ['Operations'], summary: 'Liveness: the process answers; says which replica', response: { 200: Health } }
  }, async () => ({ status: 'success' as const, message: 'auth-api is running.', service: 'auth-api', replica: replicaId }))

  fastify.get('/ready', {
    logLevel: 'warn',
    schema: { tags: ['Operations'], summary: 'Readiness: the database and the broker are reachable', response: { 200: Ready, 503: NotReady } }
  }, async (_request, reply) => {
    const database = await databaseReachable(fastify.db)
    const broker = fastify.broker.connected
    const dependencies = { replica: replicaId, database, broker }
    if (database && broker) return { status: 'success' as const, message: 'Ready: the database and the broker answer.', ...dependencies }
    const missing = [database ? '' : 'the database', broker ? '' : 'the broker'].filter(Boolean).join(' and ')
    return await reply.code(503).header('retry-after', String(NOT_READY_RETRY_SECONDS)).send({
      ...errorBody('NOT_READY', `Not ready: ${missing} cannot be reached.`, { retry_after_seconds: NOT_READY_RETRY_SECONDS }),
      ...dependencies
    })
  })
}

export default health
