// Nginx's own error answers (nginx/json-errors.conf) against the error catalog, and the three
// Nginx configurations (native, Compose, Helm) against the include. Reads files only: the answers
// themselves are tried through the running stack by edge-errors.test.ts.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { errorCatalog, isErrorCode } from '../shared/src/error-catalog.ts'

const read = (path: string): string => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8')
const withoutComments = (text: string): string => text.replace(/#.*$/gm, '')

const include = withoutComments(read('nginx/json-errors.conf'))

interface ErrorLocation {
  uri: string
  block: string
  status: number
  body: Record<string, unknown>
  /** Error locations this one hands over to (rewrite ... last). */
  handsOverTo: string[]
}

const locations = new Map<string, ErrorLocation>(
  [...include.matchAll(/location = (\S+) \{([\s\S]*?)\n\}/g)].map(([, uri, block]) => {
    const returned = /return (\d{3}) '([^']*)';/.exec(block!)
    if (!returned) throw new Error(`${uri}: no \`return <status> '<json>'\``)
    const handsOverTo = [...block!.matchAll(/rewrite \^ (\S+) last;/g)].map((match) => match[1]!)
    return [uri!, { uri: uri!, block: block!, status: Number(returned[1]), body: JSON.parse(returned[2]!), handsOverTo }]
  })
)

/** `error_page 400 497 =400 /_errors/bad-request;` → which nginx statuses go where, with which status. */
const errorPages = [...include.matchAll(/error_page ([\d ]+?) =(\d{3})? ?(\S+);/g)].map(([, codes, overwrite, uri]) => ({
  codes: codes!.trim().split(/\s+/).map(Number),
  overwrite: overwrite === undefined ? undefined : Number(overwrite),
  uri: uri!
}))

t.test('every answer Nginx makes is a catalog error: same code, status and message', async (t) => {
  t.ok(locations.size >= 10, `${locations.size} error locations`)
  for (const { uri, block, status, body } of locations.values()) {
    const code = String(body.code)
    t.ok(isErrorCode(code), `${uri}: ${code} is in the catalog`)
    if (!isErrorCode(code)) continue
    const entry = errorCatalog[code]
    t.equal(status, entry.status, `${uri}: ${code} answers ${entry.status}, as the catalog says`)
    t.match(body, { status: 'error', code, message: entry.message }, `${uri}: the API's error body, the catalog's sentence`)
    t.match(block, /^\s*internal;/m, `${uri}: reachable only as an error page`)
    t.match(block, /default_type application\/json;/, `${uri}: served as JSON`)
    const retryAfter = /add_header Retry-After (\d+) always;/.exec(block)?.[1]
    if (status === 429 || status === 503) {
      t.ok(retryAfter, `${uri}: ${status} carries Retry-After`)
      t.equal(body.retry_after_seconds, Number(retryAfter), `${uri}: the body says the same as Retry-After`)
    } else {
      t.notOk(retryAfter, `${uri}: no Retry-After`)
    }
    if (/add_header/.test(block)) {
      // A location with add_header of its own inherits none: it must repeat the server's.
      t.match(block, /add_header X-Request-Id \$request_id always;/, `${uri}: keeps X-Request-Id`)
      t.match(block, /include latchkey\/security-headers\.conf;/, `${uri}: keeps the security headers`)
    }
  }
})

t.test('every error Nginx can make has its page, and every page answers with the status it is sent for', async (t) => {
  const handled = new Map(errorPages.flatMap(({ codes, overwrite, uri }) => codes.map((code) => [code, { overwrite, uri }] as const)))
  // 494: headers too large, 497: plain HTTP on the TLS port (nginx's own codes, never sent as they are).
  for (const status of [400, 403, 404, 405, 413, 414, 429, 494, 497, 500, 501, 502, 503, 504]) {
    t.ok(handled.has(status), `error_page ${status}`)
  }
  for (const { codes, overwrite, uri } of errorPages) {
    const target = locations.get(uri)
    t.ok(target, `error_page ${codes.join(' ')}: ${uri} exists`)
    if (!target) continue
    // `=` alone lets the location choose the status (502 becomes 503 when no replica took the connection).
    if (overwrite !== undefined) t.equal(overwrite, target.status, `error_page ${codes.join(' ')}: answered ${overwrite} by ${uri}`)
    for (const next of target.handsOverTo) t.ok(locations.has(next), `${uri} hands over to ${next}, which exists`)
  }
  t.equal(handled.get(494)?.overwrite, errorCatalog.HEADERS_TOO_LARGE.status, 'headers too large: 431, as the catalog says')
})

t.test('the native, Compose and Helm configurations all include the one error file', async (t) => {
  const template = withoutComments(read('nginx/nginx.conf.template'))
  const servers = template.split(/\n\s*server \{/).slice(1)
  t.equal(servers.length, 2, 'the HTTP redirect and the HTTPS server')
  for (const server of servers) t.match(server, /include latchkey\/json-errors\.conf;/, 'native: in every server block')
  t.match(read('scripts/stack/components/nginx.ts'), /'json-errors\.conf'/, 'native: copied beside the rendered configuration')

  const docker = withoutComments(read('nginx/docker.conf'))
  t.equal(docker.match(/include \/etc\/nginx\/latchkey\/json-errors\.conf;/g)?.length, 2, 'Compose: in both server blocks')
  t.match(read('docker-compose.yml'), /- \.\/nginx\/json-errors\.conf:\/etc\/nginx\/latchkey\/json-errors\.conf:ro/, 'Compose: mounted beside the security headers')

  const helm = withoutComments(read('deploy/helm/latchkey/templates/web-config.yaml'))
  t.match(helm, /include \/etc\/nginx\/latchkey\/json-errors\.conf;/, 'Helm: in the web server block')
  t.notMatch(helm, /error_page/, 'Helm: no error page of its own')
  t.match(read('services/web/Dockerfile'), /^COPY nginx\/json-errors\.conf \/etc\/nginx\/latchkey\/json-errors\.conf$/m, 'Helm: the web image holds it')

  for (const [name, config] of [['native', template], ['Compose', docker], ['Helm', helm]] as const) {
    t.notMatch(config, /proxy_intercept_errors on/, `${name}: the API's own errors pass through untouched`)
  }
})
