// Every refusal through Nginx over TLS is the API's JSON error with a catalog code, whoever makes
// it: Nginx itself (nginx/json-errors.conf) or the API behind it. Needs the running test stack.
import { execFile } from 'node:child_process'
import { connect as connectHttp2, type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2'
import { connect as connectTcp } from 'node:net'
import { connect as connectTls } from 'node:tls'
import { setTimeout as delay } from 'node:timers/promises'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'
import { errorCatalog, isErrorCode } from '../shared/src/error-catalog.ts'
import { edgeSettings } from '../scripts/edge/settings.ts'
import { eventually } from '../shared/test-support/index.ts'
import { processPid, startComponent, stopComponent } from '../scripts/stack-control.ts'
import { call, type Reply } from './support/https.ts'
import { apiPorts, baseUrl } from './support/stack-env.ts'

const run = promisify(execFile)

const SECURITY_HEADERS = ['strict-transport-security', 'content-security-policy', 'x-content-type-options', 'x-frame-options', 'referrer-policy']
/** How long Nginx leaves out a replica that failed (fail_timeout, written into every configuration by scripts/edge). */
const FAIL_TIMEOUT_MS = edgeSettings.upstream.failTimeoutSeconds * 1000
/** Nginx's limit_req on the auth routes, per address (written into every configuration by scripts/edge). */
const RATE_LIMIT = edgeSettings.rateLimit

type Headers = Record<string, string | string[] | undefined>

/** The API's error: JSON, a catalog code with the catalog's status, and the edge's headers. */
function assertCatalogError (t: Test, { status, headers, body }: { status: number, headers: Headers, body: string }, code: string, what: string): void {
  t.equal(status, isErrorCode(code) ? errorCatalog[code].status : -1, `${what}: ${code}'s status`)
  t.match(headers['content-type'], /^application\/json/, `${what}: JSON`)
  let parsed: unknown
  t.doesNotThrow(() => { parsed = JSON.parse(body) }, `${what}: the body parses as JSON`)
  t.match(parsed, { status: 'error', code, message: String }, `${what}: {status, code, message}`)
  t.match(headers['x-request-id'], /^[0-9a-f]{32}$/, `${what}: Nginx's request id`)
  for (const name of SECURITY_HEADERS) t.ok(headers[name], `${what}: ${name}`)
}

/** Sends bytes as they are over TLS (HTTP/1.1) and reads the answer until Nginx closes the connection (send `Connection: close`). */
async function rawExchange (request: string | Buffer, { tls = true, timeoutMs = 15_000 } = {}): Promise<{ status: number, headers: Headers, body: string }> {
  const { port, hostname } = new URL(baseUrl())
  const socket = tls
    ? connectTls({ host: hostname, port: Number(port), rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] })
    : connectTcp({ host: hostname, port: Number(port) })
  const raw = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = []
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer in ${timeoutMs / 1000} s`)))
    // Written, not ended: Nginx drops a request whose client hung up (499) before answering it.
    socket.once(tls ? 'secureConnect' : 'connect', () => socket.write(request))
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')))
    socket.on('error', reject)
  })
  const [head = '', body = ''] = raw.split('\r\n\r\n', 2)
  const [statusLine = '', ...lines] = head.split('\r\n')
  const headers: Headers = Object.fromEntries(lines.map((line) => {
    const colon = line.indexOf(':')
    return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]
  }))
  return { status: Number(statusLine.split(' ')[1]), headers, body }
}

function replyOf (reply: Reply): { status: number, headers: Headers, body: string } {
  return { status: reply.status, headers: reply.headers, body: reply.body }
}

/** Runs curl as a user would (it speaks HTTP/2 to us) and reads its `--dump-header -` output. */
async function curlExchange (args: string[]): Promise<{ protocol: string, status: number, headers: Headers, body: string }> {
  const { stdout } = await run('curl', ['-sk', '--dump-header', '-', ...args])
  const [head = '', body = ''] = stdout.split('\r\n\r\n', 2)
  const [statusLine = '', ...lines] = head.split('\r\n')
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]))
  return { protocol: statusLine.split(' ')[0] ?? '', status: Number(statusLine.split(' ')[1]), headers, body }
}

/** One request on an HTTP/2 session; `body` chunks are written one by one, without a declared length. */
async function http2Exchange (session: ClientHttp2Session, request: OutgoingHttpHeaders, body: string[] = []): Promise<{ status: number, headers: Headers, body: string }> {
  return await new Promise((resolve, reject) => {
    const stream = session.request(request)
    const chunks: Buffer[] = []
    let headers: Headers = {}
    stream.on('response', (received) => { headers = received as Headers })
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.on('end', () => resolve({ status: Number(headers[':status']), headers, body: Buffer.concat(chunks).toString() }))
    stream.on('error', reject)
    for (const chunk of body) stream.write(chunk)
    stream.end()
  })
}

t.test('the API\'s own refusals keep their shape through Nginx', async (t) => {
  // As the issue writes it: curl -sk -X GET https://localhost:<port>/register
  const wrongMethod = await curlExchange(['-X', 'GET', `${baseUrl()}/register`])
  assertCatalogError(t, wrongMethod, 'METHOD_NOT_ALLOWED', 'curl -X GET /register')
  t.equal(wrongMethod.headers.allow, 'POST', 'Allow: POST')

  assertCatalogError(t, replyOf(await call(`${baseUrl()}/no-such-thing`)), 'NOT_FOUND', 'GET /no-such-thing')
  // A path parameter over the router's 100 characters.
  assertCatalogError(t, replyOf(await call(`${baseUrl()}/admin/users/${'a'.repeat(150)}/disable`, { method: 'POST' })), 'URI_TOO_LONG', 'an overlong user id')
})

t.test('a body over 64 KiB: 413 BODY_TOO_LARGE from Nginx', async (t) => {
  const big = { email: 'big@e2e.example.com', password: 'x'.repeat(70_000) }
  assertCatalogError(t, replyOf(await call(`${baseUrl()}/register`, { method: 'POST', json: big })), 'BODY_TOO_LARGE', '70 KB to /register')
  assertCatalogError(t, replyOf(await call(`${baseUrl()}/me/password`, { method: 'POST', json: big })), 'BODY_TOO_LARGE', '70 KB to /me/password')
})

t.test('a body over 64 KiB over HTTP/2, as curl sends it: 413 BODY_TOO_LARGE, not nginx\'s HTML page', async (t) => {
  // curl -sk negotiates HTTP/2, where nginx ignores error_page 413 unless the page takes any size.
  const sent = await curlExchange(['-H', 'content-type: application/json', '--data-binary', 'x'.repeat(70_000), `${baseUrl()}/register`])
  t.equal(sent.protocol, 'HTTP/2', 'curl spoke HTTP/2')
  assertCatalogError(t, sent, 'BODY_TOO_LARGE', 'curl, 70 KB with its length')

  // A body streamed without a declared length is refused while Nginx reads it.
  const session = connectHttp2(baseUrl(), { rejectUnauthorized: false })
  t.teardown(() => session.destroy())
  const streamed = await http2Exchange(session, { ':method': 'POST', ':path': '/register', 'content-type': 'application/json' }, Array.from({ length: 7 }, () => 'x'.repeat(10_000)))
  assertCatalogError(t, streamed, 'BODY_TOO_LARGE', 'HTTP/2, 70 KB streamed without a length')
})

t.test('an overlong address and oversized headers: 414 URI_TOO_LONG and 431 HEADERS_TOO_LARGE', async (t) => {
  assertCatalogError(t, replyOf(await call(`${baseUrl()}/${'a'.repeat(10_000)}`)), 'URI_TOO_LONG', 'a 10,000-character path')
  assertCatalogError(t, replyOf(await call(`${baseUrl()}/health?q=${'a'.repeat(10_000)}`)), 'URI_TOO_LONG', 'a 10,000-character query')
  assertCatalogError(t, replyOf(await call(`${baseUrl()}/health`, { headers: { 'x-padding': 'a'.repeat(10_000) } })), 'HEADERS_TOO_LARGE', 'a 10 KB header')
  const many = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`x-padding-${i}`, 'a'.repeat(6_000)]))
  assertCatalogError(t, replyOf(await call(`${baseUrl()}/health`, { headers: many })), 'HEADERS_TOO_LARGE', '48 KB of headers')
})

t.test('over HTTP/2 an oversized header field ends the connection (GOAWAY): there is no answer to shape', async (t) => {
  // RFC 9113 lets a server refuse a header block it will not decode with a connection error;
  // nginx does (ENHANCE_YOUR_CALM). No HTML page reaches the client either way.
  const session = connectHttp2(baseUrl(), { rejectUnauthorized: false })
  t.teardown(() => session.destroy())
  const outcome = await new Promise<string>((resolve) => {
    const stream = session.request({ ':path': '/health', 'x-padding': Array.from({ length: 20_000 }, (_, i) => (i * 7919 % 1000).toString(36)).join('') })
    stream.on('response', (headers) => resolve(`answered ${String(headers[':status'])}`))
    stream.on('error', (error: NodeJS.ErrnoException) => resolve(`stream error ${error.code ?? error.message}`))
    session.on('goaway', (errorCode) => resolve(`goaway ${errorCode}`))
    session.on('error', (error: Error) => resolve(`session error ${error.message}`))
    stream.end()
  })
  t.equal(outcome, 'goaway 11', 'GOAWAY ENHANCE_YOUR_CALM')
})

t.test('requests Nginx cannot parse: 400 BAD_REQUEST and 501 NOT_IMPLEMENTED', async (t) => {
  assertCatalogError(t, await rawExchange('GARBAGE\r\n\r\n'), 'BAD_REQUEST', 'a request line that is not HTTP')
  assertCatalogError(t, await rawExchange('POST /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}'), 'BAD_REQUEST', 'two Content-Length headers')
  const odd = 'POST /register HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n'
  assertCatalogError(t, await rawExchange(odd), 'NOT_IMPLEMENTED', 'Transfer-Encoding: gzip, chunked')
  assertCatalogError(t, await rawExchange('GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', { tls: false }), 'BAD_REQUEST', 'plain HTTP on the TLS port')
})

t.test('the web page\'s static paths: 404 NOT_FOUND and 405 METHOD_NOT_ALLOWED', async (t) => {
  const page = await call(`${baseUrl()}/`)
  t.match(page.headers['content-type'], /text\/html/, 'the stack serves the page (services/web/dist is built)')
  assertCatalogError(t, replyOf(await call(`${baseUrl()}/app/no-such-file.js`)), 'NOT_FOUND', 'a missing asset')
  assertCatalogError(t, replyOf(await call(`${baseUrl()}/app/`)), 'NOT_FOUND', 'the asset directory')
  const posted = await call(`${baseUrl()}/`, { method: 'POST', form: { a: 'b' } })
  assertCatalogError(t, replyOf(posted), 'METHOD_NOT_ALLOWED', 'POST /')
  t.equal(posted.headers.allow, 'GET, HEAD', 'Allow: GET, HEAD')
  assertCatalogError(t, replyOf(await call(`${baseUrl()}/_errors/bad-request`)), 'NOT_FOUND', 'the error pages are not addressable')
})

t.test('a burst over the per-address limit: 429 RATE_LIMITED with Retry-After', async (t) => {
  // One HTTP/2 connection sends the whole burst at once, faster than the limit refills.
  const session = connectHttp2(baseUrl(), { rejectUnauthorized: false })
  t.teardown(() => session.destroy())
  const count = RATE_LIMIT.burst * 2
  const replies = await Promise.all(Array.from({ length: count }, async () =>
    await http2Exchange(session, { ':method': 'POST', ':path': '/token/refresh', 'content-type': 'application/json' }, ['{}'])))
  // Let the bucket drain, so the tests after this one are not throttled: Nginx shows no sign of it
  // but time (a request to look would fill it again).
  t.teardown(async () => { await delay(Math.ceil(RATE_LIMIT.burst / RATE_LIMIT.perSecond) * 1000 + 1000) })
  const limited = replies.filter((reply) => reply.status === 429)
  const passed = replies.filter((reply) => reply.status !== 429)
  t.ok(passed.length > RATE_LIMIT.burst / 2, `${passed.length} of ${count} reached the API (the burst allowance)`)
  t.ok(limited.length > 0, `${limited.length} of ${count} were limited`)
  for (const reply of passed) t.equal(JSON.parse(reply.body).code, 'REFRESH_TOKEN_MISSING', 'the API answered the rest')
  for (const reply of limited.slice(0, 3)) {
    assertCatalogError(t, reply, 'RATE_LIMITED', 'over the limit')
    t.ok(Number(reply.headers['retry-after']) >= 1, `Retry-After: ${String(reply.headers['retry-after'])}`)
    t.equal(JSON.parse(reply.body).retry_after_seconds, Number(reply.headers['retry-after']), 'the body says the same')
  }
})

t.test('no replica running: 503 SERVICE_UNAVAILABLE with Retry-After, then answers again', async (t) => {
  const replicas = apiPorts().map((_, i) => `api-${i + 1}`)
  const stopped = new Set<string>()
  const restart = async (): Promise<void> => {
    await Promise.all([...stopped].map(async (name) => { await startComponent(name) }))
    stopped.clear()
  }
  t.teardown(restart)
  for (const name of replicas) {
    stopped.add(name)
    await stopComponent(name)
  }
  for (const path of ['/health', '/me', '/login']) {
    const reply = await call(`${baseUrl()}${path}`, { method: path === '/login' ? 'POST' : 'GET', json: path === '/login' ? {} : undefined })
    assertCatalogError(t, replyOf(reply), 'SERVICE_UNAVAILABLE', `${path} with every replica stopped`)
    const retryAfter = String(edgeSettings.retryAfterSeconds.serviceUnavailable)
    t.equal(reply.headers['retry-after'], retryAfter, `Retry-After: ${retryAfter}`)
  }
  await restart()
  // Nginx tries a replica again once fail_timeout has passed since its last failures.
  const status = await eventually(async () => {
    const { status } = await call(`${baseUrl()}/health`)
    return status === 200 && status
  }, { timeoutMs: 15_000, intervalMs: 250, what: 'the edge to answer again' }).catch(async () => (await call(`${baseUrl()}/health`)).status)
  t.equal(status, 200, 'answers again once the replicas are back')
  // Every replica eligible again before the next test: each has answered through the edge, which
  // sends a request to none that it still counts as failed (for fail_timeout, FAIL_TIMEOUT_MS).
  const answered = new Set<string>()
  await eventually(async () => {
    const reply = await call(`${baseUrl()}/health`)
    if (reply.status === 200) answered.add(String(reply.json().replica))
    return answered.size === replicas.length
  }, { timeoutMs: FAIL_TIMEOUT_MS * 3, intervalMs: 100, what: 'every replica to answer through the edge' })
})

t.test('every replica frozen: a request that was sent and never answered is 504 GATEWAY_TIMEOUT', async (t) => {
  // SIGSTOP: the replicas still accept connections (the kernel does) but never answer, so Nginx
  // waits proxy_read_timeout; a POST is not retried on another replica.
  const pids = apiPorts().map((_, i) => processPid(`api-${i + 1}`))
  t.teardown(() => { for (const pid of pids) process.kill(pid, 'SIGCONT') })
  for (const pid of pids) process.kill(pid, 'SIGSTOP')
  const login = 'POST /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}'
  const reply = await rawExchange(login, { timeoutMs: (edgeSettings.proxyReadTimeoutSeconds + 15) * 1000 })
  assertCatalogError(t, reply, 'GATEWAY_TIMEOUT', 'POST /login to frozen replicas')
  t.notOk(reply.headers['retry-after'], 'no Retry-After: the request may or may not have been done')
})
