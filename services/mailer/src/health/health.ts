import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'

const HealthReply = Type.Object({ status: Type.Literal('ok'), service: Type.Literal('mailer') })
const ReadyReply = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not-ready')]),
  broker: Type.Boolean(),
  database: Type.Boolean(),
  smtp: Type.Boolean()
})

/** Liveness says the process answers; readiness says it can actually deliver mail. */
export default async function health (fastify: FastifyInstance): Promise<void> {
  // Probes come every few seconds: like the API's, they log only at warn and above.
  fastify.get('/health', { logLevel: 'warn', schema: { response: { 200: HealthReply } } }, async () => ({ status: 'ok' as const, service: 'mailer' as const }))

  fastify.get('/ready', { logLevel: 'warn', schema: { response: { 200: ReadyReply, 503: ReadyReply } } }, async (_request, reply) => {
    const [database, smtp] = await Promise.all([fastify.isDatabaseUp(), fastify.smtp.isReachable()])
    const broker = fastify.inboxEvents.connected
    const ready = broker && database && smtp
    return await reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', broker, database, smtp })
  })
}
