// The generated edge files (scripts/edge, npm run edge:generate): what is committed is what the
// generator writes, and the Helm chart's default limits are the edge settings the tests use.
// Reads files only; edge-errors.test.ts tries the numbers through the running stack.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { parse } from 'yaml'
import { generatedFiles, staleFiles } from '../scripts/edge/generate.ts'
import { edgeSettings } from '../scripts/edge/settings.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const read = (path: string): string => readFileSync(join(root, path), 'utf8')

t.test('every generated edge file is what scripts/edge writes', async (t) => {
  t.same(staleFiles(), [], 'none is stale: after editing scripts/edge or the error catalog, run npm run edge:generate')
  t.same(Object.keys(generatedFiles).sort(), [
    'deploy/helm/latchkey/templates/web-config.yaml', 'nginx/docker.conf', 'nginx/json-errors.conf', 'nginx/nginx.conf.template'
  ], 'the three configurations and the error pages')
})

t.test('the check notices a hand edit', async (t) => {
  const copy = mkdtempSync(join(tmpdir(), 'latchkey-edge-'))
  t.teardown(() => rmSync(copy, { recursive: true, force: true }))
  for (const path of Object.keys(generatedFiles)) cpSync(join(root, path), join(copy, path), { recursive: true })
  t.same(staleFiles(copy), [], 'an exact copy is current')
  const edited = 'nginx/docker.conf'
  writeFileSync(join(copy, edited), read(edited).replace(/burst=\d+/, 'burst=1000'))
  t.same(staleFiles(copy), [edited], 'a changed burst is reported, in that file only')
})

t.test('the settings are the numbers every configuration carries', async (t) => {
  const { perSecond, burst } = edgeSettings.rateLimit
  for (const path of ['nginx/nginx.conf.template', 'nginx/docker.conf']) {
    const conf = read(path).replace(/#.*$/gm, '')
    t.match(conf, `zone=auth:10m rate=${perSecond}r/s;`, `${path}: ${perSecond} requests a second`)
    t.match(conf, `limit_req zone=auth burst=${burst} nodelay;`, `${path}: a burst of ${burst}`)
  }
  // The chart's limit is a value (one per release); its default is the stack's.
  const values = parse(read('deploy/helm/latchkey/values.yaml')) as { web: { rateLimit: { rate: string, burst: number } } }
  t.same(values.web.rateLimit, { rate: `${perSecond}r/s`, burst }, 'the Helm chart\'s web.rateLimit defaults')
  const errors = read('nginx/json-errors.conf')
  for (const [page, seconds] of [['rate-limited', edgeSettings.retryAfterSeconds.rateLimited], ['service-unavailable', edgeSettings.retryAfterSeconds.serviceUnavailable]] as const) {
    const location = new RegExp(`location = /_errors/${page} \\{[^}]*add_header Retry-After ${seconds} always;[^}]*"retry_after_seconds":${seconds}\\}';`)
    t.match(errors, location, `${page}: Retry-After ${seconds}, in the header and the body`)
  }
})
