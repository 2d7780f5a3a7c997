import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Type, type TSchema } from 'typebox'
import type { ErrorBody } from './error-catalog.js'

export interface HealthOptions {
  /** The service's name, in both answers. */
  service: string
  /** Which process of the service answers (the replica id). */
  instance: string
  /** What readiness needs, by name: each says whether it answers now. */
  dependencies: Record<string, () => boolean | Promise<boolean>>
}

/** Seconds a load balancer should wait before asking an instance that is not ready again. */
const NOT_READY_RETRY_SECONDS = 5

/**
 * `/health` (liveness: the process answers, and which one it is) and `/ready` (readiness: every
 * dependency answers), the same for every service: `{status: 'success', …}` when ready, and the
 * error shape every Latchkey error has, 503 `NOT_READY` with `Retry-After` and what is missing,
 * when not. Probes log only their failures.
 */
export const healthRoutes = fp(async function healthRoutes (fastify: FastifyInstance, { service, instance, dependencies }: HealthOptions) {
  const names = Object.keys(dependencies)
  const flags = Object.fromEntries(names.map((name) => [name, Type.Boolean()])) as Record<string, TSchema>
  const Health = Type.Object({ status: Type.Literal('success'), message: Type.String(), service: Type.String(), replica: Type.String() })
  const Ready = Type.Object({ status: Type.Literal('success'), message: Type.String(), replica: Type.String(), ...flags })
  const NotReady = Type.Object({
    status: Type.Literal('error'),
    code: Type.Literal('NOT_READY'),
    message: Type.String(),
    retry_after_seconds: Type.Optional(Type.Integer()),
    replica: Type.String(),
    ...flags
  })

  fastify.get('/health', {
    logLevel: 'warn',
    schema: { tags: ['Operations'], summary: 'Liveness: the process answers; says which replica', response: { 200: Health } }
  }, async () => ({ status: 'success' as const, message: `${service} is running.`, service, replica: instance }))

  fastify.get('/ready', {
    logLevel: 'warn',
    schema: { tags: ['Operations'], summary: `Readiness: ${names.join(', ')} reachable`, response: { 200: Ready, 503: NotReady } }
  }, async (_request, reply) => {
    const answers = await Promise.all(names.map(async (name) => [name, await dependencies[name]!()] as const))
    const state = Object.fromEntries(answers)
    const missing = answers.filter(([, up]) => !up).map(([name]) => `the ${name}`)
    if (missing.length === 0) return { status: 'success' as const, message: `Ready: ${names.map((name) => `the ${name}`).join(', ')} answer.`, replica: instance, ...state }
    const notReady: ErrorBody = {
      status: 'error',
      code: 'NOT_READY',
      message: `Not ready: ${missing.join(' and ')} cannot be reached.`,
      retry_after_seconds: NOT_READY_RETRY_SECONDS,
      replica: instance,
      ...state
    }
    return await reply.code(503).header('retry-after', String(NOT_READY_RETRY_SECONDS)).send(notReady)
  })
}, { name: 'health-routes', fastify: '5.x' })
