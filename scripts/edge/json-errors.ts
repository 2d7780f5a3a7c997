// nginx/json-errors.conf, written from the error catalog: every answer Nginx makes itself takes
// its code, status and sentence from shared/src/error-catalog.ts, so the two cannot drift.
import { errorCatalog, type ErrorCode } from '../../shared/src/error-catalog.ts'
import { edgeSettings } from './settings.ts'

interface ErrorPage {
  /** The internal URI: /_errors/<page>. */
  page: string
  code: ErrorCode
  /** The statuses Nginx hands to this page. */
  handles: number[]
  /** Bare `error_page ... =`: the location chooses the status instead of the catalog's. */
  locationChoosesStatus?: boolean
  /** Above the error_page line. */
  why?: string[]
  /** Between `internal;` and `default_type`: a hand-over to another page. */
  before?: string[]
  /** After `default_type`, before the headers. */
  after?: string[]
  allow?: string
  retryAfterSeconds?: number
}

// A location that adds headers of its own inherits none of the server's, hence the repeats.
const HEADERS_AGAIN = ['add_header X-Request-Id $request_id always;', 'include latchkey/security-headers.conf;']

/** The last replica tried took no connection: the service is down, not answering badly. */
const connectFailedHandsOver = (why: string[]): string[] => [
  ...why.map((line) => `# ${line}`),
  'if ($upstream_connect_time ~ "-$") {',
  '    rewrite ^ /_errors/service-unavailable last;',
  '}'
]

const PAGES: ErrorPage[] = [
  { page: 'bad-request', code: 'BAD_REQUEST', handles: [400, 497], why: ["494 is nginx's internal code for headers too large; 497 is plain HTTP sent to the TLS port."] },
  {
    page: 'not-found',
    code: 'NOT_FOUND',
    handles: [403, 404],
    why: ["Only the page's static locations make these; the API answers its own 404 and 405.", 'A forbidden static path (a directory without an index) is answered as not found.']
  },
  { page: 'method-not-allowed', code: 'METHOD_NOT_ALLOWED', handles: [405], after: ['# The static page is the only thing here Nginx answers itself.'], allow: 'GET, HEAD' },
  {
    page: 'body-too-large',
    code: 'BODY_TOO_LARGE',
    handles: [413],
    after: [
      '# Over HTTP/2 nginx checks the body\'s size again on this redirect and, finding it too large',
      '# here too, answers its own HTML page (nginx/nginx#1356): this page takes any size.',
      'client_max_body_size 0;'
    ]
  },
  { page: 'uri-too-long', code: 'URI_TOO_LONG', handles: [414] },
  { page: 'headers-too-large', code: 'HEADERS_TOO_LARGE', handles: [494] },
  {
    page: 'rate-limited',
    code: 'RATE_LIMITED',
    handles: [429],
    after: ['# limit_req frees a slot every 1/rate seconds: one second is always enough to try again.'],
    retryAfterSeconds: edgeSettings.retryAfterSeconds.rateLimited
  },
  { page: 'internal-error', code: 'INTERNAL_ERROR', handles: [500] },
  { page: 'not-implemented', code: 'NOT_IMPLEMENTED', handles: [501] },
  {
    page: 'bad-gateway',
    code: 'BAD_GATEWAY',
    handles: [502],
    locationChoosesStatus: true,
    why: ['Bare `=`: the status is the one the location returns: 503 when no replica took the connection.'],
    before: connectFailedHandsOver(['The last replica tried took no connection (each of them, or none is left to try): the', 'service is down for a moment rather than answering badly.'])
  },
  {
    page: 'service-unavailable',
    code: 'SERVICE_UNAVAILABLE',
    handles: [503],
    retryAfterSeconds: edgeSettings.retryAfterSeconds.serviceUnavailable
  },
  {
    page: 'gateway-timeout',
    code: 'GATEWAY_TIMEOUT',
    handles: [504],
    locationChoosesStatus: true,
    before: connectFailedHandsOver(['The connection itself timed out: no replica is there to be slow.'])
  }
]

const HEADER = `# The answers Nginx itself makes when it refuses a request or cannot reach the API, in the API's
# own format: {"status":"error","code":...,"message":...} with a code and status from
# shared/src/error-catalog.ts. Written by scripts/edge/json-errors.ts (npm run edge:generate):
# edit that, not this file; e2e/edge-config.test.ts fails when the two differ.
# Answers the API makes pass through untouched (proxy_intercept_errors stays off).
#
# Include it in every server block that serves the API or the page, beside the security headers:
#   include latchkey/json-errors.conf;              # nginx.conf.template (the native stack copies both into conf/latchkey/)
#   include /etc/nginx/latchkey/json-errors.conf;   # docker.conf and the Helm chart's web config
# It includes latchkey/security-headers.conf, relative to the directory of the main nginx.conf,
# so the two files must sit together in a \`latchkey/\` directory there.
#
# The pages are internal URIs, not named locations: nginx cannot hand a request whose request
# line it could not read (400, 414) to a named location. Error URIs have no extension, so
# default_type decides their Content-Type. Locations without add_header of their own inherit the
# server's (X-Request-Id and the security headers); those that add Retry-After or Allow repeat
# them, since nginx then inherits none.
`

function errorPageLine ({ page, code, handles, locationChoosesStatus, why = [] }: ErrorPage): string[] {
  const status = locationChoosesStatus === true ? '=' : `=${errorCatalog[code].status}`
  return [...why.map((line) => `# ${line}`), `error_page ${handles.join(' ')} ${status} /_errors/${page};`]
}

function body ({ code, retryAfterSeconds }: ErrorPage): string {
  const json = JSON.stringify({ status: 'error', code, message: errorCatalog[code].message, retry_after_seconds: retryAfterSeconds })
  // Nginx reads the body as a single-quoted string.
  if (/['\\]/.test(json)) throw new Error(`${code}: its message cannot be written in a single-quoted nginx string`)
  return json
}

function location (page: ErrorPage): string[] {
  const { allow, retryAfterSeconds } = page
  const headers = [
    ...(allow === undefined ? [] : [`add_header Allow "${allow}" always;`]),
    ...(retryAfterSeconds === undefined ? [] : [`add_header Retry-After ${retryAfterSeconds} always;`])
  ]
  const lines = [
    'internal;',
    ...(page.before ?? []),
    'default_type application/json;',
    ...(page.after ?? []),
    ...(headers.length === 0 ? [] : [...headers, ...HEADERS_AGAIN]),
    `return ${errorCatalog[page.code].status} '${body(page)}';`
  ]
  return [`location = /_errors/${page.page} {`, ...lines.map((line) => `    ${line}`), '}']
}

export function jsonErrorsConf (): string {
  const pages = PAGES.flatMap(errorPageLine)
  const locations = PAGES.map((page) => location(page).join('\n'))
  return `${HEADER}\n${pages.join('\n')}\n\n${locations.join('\n\n')}\n`
}
