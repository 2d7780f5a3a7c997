import type { FastifyRequest } from 'fastify'

/**
 * preValidation hook for routes whose body may be left out entirely (curl -X POST with no -d):
 * an absent body is validated as `{}`, so the route reports what is missing in its own words.
 */
export async function absentBodyAsEmpty (request: FastifyRequest): Promise<void> {
  request.body ??= {}
}
