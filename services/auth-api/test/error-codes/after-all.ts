// tap's `after` script: every error code the OpenAPI document lists for a route must have been
// answered by that route somewhere in the test run. Codes every route may give because of the
// infrastructure (Nginx, the database) are proven by the e2e tests, not here.
import { existsSync, readFileSync } from 'node:fs'
import { edgeOnly } from '../../src/http/schemas.js'
import { allObserved, observation, SPEC_FILE } from './observed.js'

/** A code as the OpenAPI document writes it: `const`, or a one-value `enum`. */
interface Literal {
  const?: string
  enum?: string[]
  anyOf?: Literal[]
}

interface Spec {
  paths: Record<string, Record<string, { responses: Record<string, { content?: { 'application/json'?: { schema?: { properties?: { code?: Literal } } } } }> }>>
}

function literals (schema: Literal | undefined): string[] {
  if (!schema) return []
  return [...(schema.const ? [schema.const] : []), ...(schema.enum ?? []), ...(schema.anyOf ?? []).flatMap(literals)]
}

// Only a run of the whole suite can tell; `npx tap test/one.test.ts` skips the check.
if (process.env.CHECK_ERROR_CODES === '1') {
  if (!existsSync(SPEC_FILE)) throw new Error(`${SPEC_FILE} is missing: health.test.ts writes it`)
  const spec = JSON.parse(readFileSync(SPEC_FILE, 'utf8')) as Spec
  const observed = allObserved()
  const missing: string[] = []
  for (const [path, operations] of Object.entries(spec.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue
        for (const listed of literals(response.content?.['application/json']?.schema?.properties?.code)) {
          if (edgeOnly.has(listed)) continue
          const expected = observation(method.toUpperCase(), path, Number(status), listed)
          if (!observed.has(expected)) missing.push(expected)
        }
      }
    }
  }
  if (missing.length > 0) {
    console.error(`The OpenAPI document lists error codes no test made its route answer with:\n  ${missing.join('\n  ')}`)
    process.exit(1)
  }
  console.log(`Every documented error code was answered by its route (${observed.size} observations).`)
}
