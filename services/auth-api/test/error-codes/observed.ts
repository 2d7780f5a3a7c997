// The error codes the tests saw each route answer with, so that a check after the whole run can
// tell whether every code the OpenAPI document promises is really reachable.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'

export const OBSERVED_DIR = fileURLToPath(new URL('../../.tap/error-codes/', import.meta.url))
export const SPEC_FILE = join(OBSERVED_DIR, 'openapi.json')

const seen = new Set<string>()
let flushing = false

/** `POST /admin/users/{id}/disable 404 USER_NOT_FOUND`: the route as the OpenAPI document writes it. */
export function observation (method: string, route: string, status: number, code: string): string {
  return `${method} ${route.replace(/:(\w+)/g, '{$1}')} ${status} ${code}`
}

export function recordErrorCodes (app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode >= 400 && request.routeOptions.url && typeof payload === 'string') {
      const code = (JSON.parse(payload) as { code?: string }).code
      if (code) seen.add(observation(request.method, request.routeOptions.url, reply.statusCode, code))
    }
    return payload
  })
  if (!flushing) {
    flushing = true
    process.on('exit', () => {
      mkdirSync(OBSERVED_DIR, { recursive: true })
      writeFileSync(join(OBSERVED_DIR, `${process.pid}.json`), JSON.stringify([...seen]))
    })
  }
}

export function resetObserved (): void {
  rmSync(OBSERVED_DIR, { recursive: true, force: true })
  mkdirSync(OBSERVED_DIR, { recursive: true })
}

export function allObserved (): Set<string> {
  const files = readdirSync(OBSERVED_DIR).filter((name) => /^\d+\.json$/.test(name))
  return new Set(files.flatMap((name) => JSON.parse(readFileSync(join(OBSERVED_DIR, name), 'utf8')) as string[]))
}
