// The generated edge files (scripts/edge, npm run edge:generate): what is committed is what the
// generator writes, the native template passes nginx -t, and the Helm chart's default limits are
// the edge settings the tests use. Needs no running stack (compose-file.test.ts and
// helm-chart.test.ts run nginx -t on the other two); edge-errors.test.ts tries the numbers
// through the running stack.
import { spawnSync } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { parse } from 'yaml'
import { generatedFiles, staleFiles } from '../scripts/edge/generate.ts'
import { edgeSettings, passiveHealthCheck } from '../scripts/edge/settings.ts'

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

// Every marked block kept (the bench profile's and the page's), so every line is checked; the
// stack itself runs nginx -t on what it renders for a profile before it starts Nginx.
t.test('the native template passes nginx -t', async (t) => {
  const nginx = ['/usr/sbin/nginx', '/usr/local/sbin/nginx'].find(existsSync) ?? 'nginx'
  const prefix = mkdtempSync(join(tmpdir(), 'latchkey-native-conf-'))
  t.teardown(() => rmSync(prefix, { recursive: true, force: true }))
  for (const dir of ['conf/latchkey', 'logs', 'tmp']) mkdirSync(join(prefix, dir), { recursive: true })
  for (const file of ['security-headers.conf', 'json-errors.conf']) copyFileSync(join(root, 'nginx', file), join(prefix, 'conf/latchkey', file))
  const [cert, key] = [join(prefix, 'tls.crt'), join(prefix, 'tls.key')]
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-keyout', key, '-out', cert], { encoding: 'utf8' })
  t.equal(made.status, 0, 'a throwaway certificate')
  const values: Record<string, string> = {
    ACCESS_LOG: join(prefix, 'logs/access.log'),
    API_SERVERS: `        server 127.0.0.1:3001 ${passiveHealthCheck()};`,
    BARE_SERVERS: '        server 127.0.0.1:5201;',
    HTTP_PORT: '8080',
    HTTPS_PORT: '8443',
    TLS_CERT: cert,
    TLS_KEY: key,
    WEB_ROOT: join(root, 'services/web/dist')
  }
  const template = read('nginx/nginx.conf.template')
  const placeholders = new Set([...template.matchAll(/\{\{([A-Z_]+)\}\}/g)].map(([, name]) => name!))
  t.same([...placeholders].sort(), Object.keys(values).sort(), 'the placeholders nginx.ts fills')
  const config = template.replace(/\{\{([A-Z_]+)\}\}/g, (_, name: string) => values[name]!)
  writeFileSync(join(prefix, 'conf/nginx.conf'), config)
  const check = (): ReturnType<typeof spawnSync> => spawnSync(nginx, ['-t', '-q', '-p', prefix, '-c', 'conf/nginx.conf', '-e', 'stderr'], { encoding: 'utf8' })
  const passed = check()
  t.equal(passed.status, 0, `nginx -t ${String(passed.stderr).trim()}`)
  // The same run refuses a broken file, so the pass above means something.
  writeFileSync(join(prefix, 'conf/nginx.conf'), config.replace('limit_req zone=auth ', 'limit_req zone=missing '))
  t.not(check().status, 0, 'nginx -t refuses an unknown limit_req zone')
})
