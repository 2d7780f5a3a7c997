import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    /** Removes what outlived its use; runs periodically, and on demand (tests). */
    sweepExpired (): Promise<{ accounts: number, signInAttempts: number, codeFailures: number }>
  }
}

export interface RetentionOptions {
  intervalSeconds: number
}

/**
 * Nothing grows without bound. TTL indexes do part of this on MongoDB, but not every server that
 * speaks its protocol runs them (mongo-java-server accepts them and never expires anything), so
 * a sweep on every replica removes the same things everywhere; it is idempotent, so replicas
 * sweeping at once do no harm. Accounts go only once their outbox is empty: an event already
 * accepted is never dropped with them.
 */
async function retention (fastify: FastifyInstance, { intervalSeconds }: RetentionOptions): Promise<void> {
  fastify.decorate('sweepExpired', async () => {
    const now = fastify.clock()
    const accounts = await fastify.accounts.removePurgeable(now)
    const signInAttempts = await fastify.signInAttempts.removeExpired(now)
    const codeFailures = await fastify.codeFailures.removeExpired(now)
    return { accounts, signInAttempts, codeFailures }
  })

  const sweep = (): void => {
    fastify.sweepExpired().then((removed) => {
      if (removed.accounts + removed.signInAttempts + removed.codeFailures > 0) fastify.log.info({ removed }, 'retention sweep removed expired records')
    }, (err: unknown) => fastify.log.warn({ err }, 'retention sweep failed'))
  }
  // Spread over the interval, so replicas started together do not sweep together.
  const first = setTimeout(sweep, Math.random() * intervalSeconds * 1000)
  const timer = setInterval(sweep, intervalSeconds * 1000)
  first.unref()
  timer.unref()
  fastify.addHook('onClose', async () => {
    clearTimeout(first)
    clearInterval(timer)
  })
}

export default fp(retention, { name: 'retention', dependencies: ['accounts'] })
