// The three Nginx configurations of the edge, written from one description: the native stack's
// template (nginx/nginx.conf.template, rendered by scripts/stack/components/nginx.ts), the
// Compose file's (nginx/docker.conf) and the Helm chart's ConfigMap (web-config.yaml). The server
// block is written once, below; each deployment says only what must differ: where the API
// replicas are, which ports it listens on, whether TLS ends here or at an ingress, and where the
// page and the included files sit.
import { edgeSettings, passiveHealthCheck } from './settings.ts'

type Lines = string[]

const GENERATED = 'Written by scripts/edge/nginx-configs.ts (npm run edge:generate): edit that, not this file;'
const CHECKED = 'e2e/edge-config.test.ts fails when the two differ.'

/** Four spaces a level. Placeholder-only lines stay where they are: nginx.ts fills them with whole, indented lines. */
function indent (lines: Lines, levels = 1): Lines {
  const pad = '    '.repeat(levels)
  return lines.map((line) => line === '' || /^\{\{[A-Z_]+\}\}$/.test(line) ? line : pad + line)
}

function block (opening: string, body: Lines): Lines {
  return [`${opening} {`, ...indent(body), '}']
}

/** Blocks and groups of lines, one blank line between each. */
function paragraphs (...groups: Array<Lines | false>): Lines {
  return groups.filter((group): group is Lines => group !== false && group.length > 0).flatMap((group, i) => i === 0 ? group : ['', ...group])
}

const LOG_FORMAT = [
  'log_format latchkey \'$time_iso8601 $remote_addr "$request" $status $body_bytes_sent \'',
  '                    \'rid=$request_id upstream=$upstream_addr upstream_status=$upstream_status \'',
  '                    \'time=$request_time upstream_time=$upstream_response_time\';'
]

const BODY_SIZE = [`client_max_body_size ${edgeSettings.clientMaxBodySize};`]

function rateLimitZone (rate: string): Lines {
  return [
    '# Generous enough for the test suite, but brute force against the auth routes still hits a wall.',
    `limit_req_zone $binary_remote_addr zone=auth:10m rate=${rate};`,
    'limit_req_status 429;'
  ]
}

const KEEPALIVE = [
  'keepalive 32;',
  "# Below the API's keepAliveTimeout (72 s), so nginx never reuses a connection Node is closing.",
  'keepalive_timeout 60s;'
]

const HEALTH = block('location = /nginx-health', ['access_log off;', 'default_type text/plain;', 'return 200 "ok\\n";'])

/** Where a deployment differs; everything else is the same server block. */
interface Deployment {
  /** Where security-headers.conf and json-errors.conf are. */
  includes: string
  listen: Lines
  serverName: string
  accessLog?: Lines
  /** TLS ends here (native, Compose), or at the ingress controller in front (Helm). */
  tls?: { certificate: string, key: string, comment?: Lines }
  /** The scheme the client used, for X-Forwarded-Proto. */
  clientScheme: string
  /** Several upstream servers of which a killed one is skipped (native, Compose), or one Service (Helm). */
  failover: boolean
  /** limit_req's burst on the auth routes, and what follows it on its line. */
  burst: string
  burstNote?: string
  /** Locations only the native stack has, between the limited routes and the page. */
  extraLocations?: Lines
  page: { root: string, before: Lines, after: Lines }
}

function serverBlock (d: Deployment): Lines {
  const include = (file: string): string => `include ${d.includes}${file};`
  const tls = d.tls && [
    ...(d.tls.comment ?? []),
    `ssl_certificate     ${d.tls.certificate};`,
    `ssl_certificate_key ${d.tls.key};`,
    'ssl_protocols       TLSv1.2 TLSv1.3;',
    'ssl_session_cache   shared:SSL:1m;',
    'ssl_session_timeout 1h;'
  ]
  const proxy = [
    '# Inherited by every proxying location below (none of them sets its own headers).',
    'proxy_http_version 1.1;',
    'proxy_set_header Connection "";  # enables upstream keepalive',
    'proxy_set_header Host $host;',
    'proxy_set_header X-Real-IP $remote_addr;',
    '# Overwritten, never appended: a client cannot smuggle in a forged address.',
    'proxy_set_header X-Forwarded-For $remote_addr;',
    `proxy_set_header X-Forwarded-Proto ${d.clientScheme};`,
    "# Always nginx's own id, so one id follows a request through every log.",
    'proxy_set_header X-Request-Id $request_id;',
    'add_header X-Request-Id $request_id always;',
    include('security-headers.conf'),
    include('json-errors.conf')
  ]
  const timeouts = [
    ...(d.failover ? ['# A killed replica is skipped quickly; the request goes to the next one.', 'proxy_connect_timeout 1s;'] : ['proxy_connect_timeout 2s;']),
    'proxy_send_timeout 30s;',
    `proxy_read_timeout ${edgeSettings.proxyReadTimeoutSeconds}s;`,
    ...(d.failover ? ['proxy_next_upstream error timeout http_502 http_503;'] : [])
  ]
  const limited = block(`location ~ ^/(${edgeSettings.rateLimitedRoutes.join('|')})`, [
    `limit_req zone=auth burst=${d.burst} nodelay;${d.burstNote === undefined ? '' : `  ${d.burstNote}`}`,
    'proxy_pass http://auth_api;'
  ])
  const page = paragraphs(
    [...d.page.before, ...block('location = /', [
      `root ${d.page.root};`,
      '# try_files serves the file here; `index` would redirect internally to the API location.',
      'try_files /index.html =404;',
      'add_header Cache-Control "no-cache" always;',
      'add_header X-Request-Id $request_id always;',
      '# A location with add_header of its own inherits none from the server block.',
      include('security-headers.conf')
    ])],
    [...block('location /app/', [`root ${d.page.root};`, 'add_header X-Request-Id $request_id always;', include('security-headers.conf')]), ...d.page.after]
  )
  return block('server', paragraphs(
    [...d.listen, `server_name ${d.serverName};`, ...(d.accessLog ?? [])],
    tls ?? false,
    proxy,
    timeouts,
    HEALTH,
    limited,
    d.extraLocations ?? false,
    page,
    block('location /', ['proxy_pass http://auth_api;'])
  ))
}

/** Plain HTTP beside the TLS server: every request is redirected to HTTPS. */
function redirectServer ({ listen, includes, before = [], after = [], to }: { listen: string, includes: string, before?: Lines, after?: Lines, to: Lines }): Lines {
  return block('server', [
    `listen ${listen};`,
    'server_name localhost;',
    ...before,
    'add_header X-Request-Id $request_id always;',
    `include ${includes}json-errors.conf;`,
    ...after,
    ...to
  ])
}

const NATIVE_INCLUDES = 'latchkey/'
const IMAGE_INCLUDES = '/etc/nginx/latchkey/'
const IMAGE_PAGE = '/usr/share/nginx/html'

// ---- native: a whole nginx.conf, with the placeholders and marked blocks nginx.ts resolves ----

const NATIVE_HEADER = `# Latchkey edge proxy: TLS termination and load balancing over the auth-api replicas.
# ${GENERATED}
# ${CHECKED}
#
# scripts/stack.ts renders this file into .stack/<profile>/nginx/conf/nginx.conf,
# filling in the placeholders in double braces, and runs nginx with -p .stack/<profile>/nginx.
# Relative paths below resolve against that prefix.
# Security headers (HSTS, CSP, ...) are set in one place, nginx/security-headers.conf, and the
# JSON answers of every error Nginx makes itself in another, nginx/json-errors.conf: both are
# copied into conf/latchkey/ beside the rendered file and included below.

worker_processes 1;
pid logs/nginx.pid;
error_log stderr warn;

events {
    worker_connections 1024;
}
`

const NATIVE_HTTP_HEAD = [
  '# A custom config loads nothing from /etc/nginx, so the few types the web page needs are listed here.',
  ...block('types', [
    'text/html                html;',
    'text/css                 css;',
    'application/javascript   js mjs;',
    'application/json         json map;',
    'image/svg+xml            svg;',
    'image/png                png;',
    'image/x-icon             ico;',
    'font/woff2               woff2;'
  ]),
  'default_type application/octet-stream;'
]

const NATIVE_TEMP_PATHS = [
  '# The compiled-in temp paths point at /var/lib/nginx; keep everything under the prefix.',
  'client_body_temp_path tmp/client_body;',
  'proxy_temp_path       tmp/proxy;',
  'fastcgi_temp_path     tmp/fastcgi;',
  'uwsgi_temp_path       tmp/uwsgi;',
  'scgi_temp_path        tmp/scgi;'
]

export function nativeTemplate (): string {
  const { burst, perSecond } = edgeSettings.rateLimit
  const http = paragraphs(
    NATIVE_HTTP_HEAD,
    ['sendfile on;', 'server_tokens off;'],
    NATIVE_TEMP_PATHS,
    [...LOG_FORMAT, 'access_log "{{ACCESS_LOG}}" latchkey;'],
    BODY_SIZE,
    rateLimitZone(`${perSecond}r/s`),
    block('upstream auth_api', ['least_conn;  # must precede keepalive', '{{API_SERVERS}}', ...KEEPALIVE]),
    [
      '# BEGIN bench-only (kept only in the bench profile: the bare Fastify route npm run bench compares with)',
      ...block('upstream bare_fastify', ['least_conn;', '{{BARE_SERVERS}}', ...KEEPALIVE]),
      '# END bench-only'
    ],
    redirectServer({
      listen: '127.0.0.1:{{HTTP_PORT}}',
      includes: NATIVE_INCLUDES,
      to: [
        "# In a location, not at server level: a refused request's error page must not be redirected.",
        ...block('location /', ['return 301 https://$host:{{HTTPS_PORT}}$request_uri;'])
      ]
    }),
    serverBlock({
      includes: NATIVE_INCLUDES,
      listen: ['listen 127.0.0.1:{{HTTPS_PORT}} ssl http2;'],
      serverName: 'localhost',
      tls: { certificate: '"{{TLS_CERT}}"', key: '"{{TLS_KEY}}"' },
      clientScheme: '$scheme',
      failover: true,
      burst: String(burst),
      // nginx.ts drops the lines that say this in the bench profile.
      burstNote: '# per-address limit (lifted in the bench profile)',
      extraLocations: ['# BEGIN bench-only', ...block('location = /bare', ['proxy_pass http://bare_fastify;']), '# END bench-only'],
      page: {
        root: '"{{WEB_ROOT}}"',
        before: ['# BEGIN web-page (kept only when services/web/dist/index.html exists)'],
        after: ['# END web-page']
      }
    })
  )
  return `${NATIVE_HEADER}\n${block('http', http).join('\n')}\n`
}

// ---- Compose: included in the nginx image's own http block ----

const DOCKER_HEADER = `# Latchkey edge proxy for the Docker Compose stack (docker-compose.yml).
# ${GENERATED}
# ${CHECKED}
#
# Mounted over /etc/nginx/conf.d/default.conf in the nginx:1.28-alpine image, so it is
# included inside the image's own \`http { }\` block (which already loads mime.types,
# sets sendfile and logs to stdout/stderr). Its server block is the native stack's
# (nginx/nginx.conf.template), with the paths of the image.
# Security headers (HSTS, CSP, ...) are set in one place, nginx/security-headers.conf, and the
# JSON answers of every error nginx makes itself in another, nginx/json-errors.conf (both mounted
# at /etc/nginx/latchkey/), included below for the page and the API alike.
`

const DOCKER_DNS = [
  "# Docker's embedded DNS. It answers `auth-api` with one address per replica, with a long TTL:",
  '# valid=5s makes nginx ask again every 5 seconds, so `docker compose up --scale auth-api=N`',
  '# and recreated replicas (new addresses) are picked up without a reload.',
  'resolver 127.0.0.11 valid=5s ipv6=off;',
  'resolver_timeout 2s;'
]

export function dockerConf (): string {
  const { burst, perSecond } = edgeSettings.rateLimit
  const accessLog = 'access_log /var/log/nginx/access.log latchkey;'
  const conf = paragraphs(
    ['server_tokens off;'],
    LOG_FORMAT,
    BODY_SIZE,
    rateLimitZone(`${perSecond}r/s`),
    DOCKER_DNS,
    block('upstream auth_api', [
      '# Shared memory for the peer list that `resolve` rewrites at run time.',
      'zone auth_api 64k;',
      'least_conn;  # must precede keepalive',
      '# `resolve` (nginx >= 1.27.3): one upstream server per A record, kept in step with the DNS',
      '# answer; nginx also starts when no replica is up yet.',
      `server auth-api:3000 resolve ${passiveHealthCheck()};`,
      ...KEEPALIVE
    ]),
    redirectServer({
      listen: '80',
      includes: IMAGE_INCLUDES,
      before: ["# Per server, so it replaces (not duplicates) the image's http-level `main` access log.", accessLog],
      after: ['', '# Container healthcheck (docker-compose.yml) probes this over plain HTTP inside the container.', ...HEALTH],
      to: ['', '# Port 80 is published as 8080 and 443 as 8443: redirect to the published HTTPS port.', ...block('location /', ['return 301 https://$host:8443$request_uri;'])]
    }),
    serverBlock({
      includes: IMAGE_INCLUDES,
      listen: ['listen 443 ssl;', 'http2 on;'],
      serverName: 'localhost',
      accessLog: [accessLog],
      tls: {
        comment: ['# Written into the `tls-certs` volume by the one-shot `certs` service.'],
        certificate: '/etc/nginx/certs/tls.crt',
        key: '/etc/nginx/certs/tls.key'
      },
      clientScheme: '$scheme',
      failover: true,
      burst: String(burst),
      page: { root: IMAGE_PAGE, before: ['# The web page: services/web/dist is bind-mounted read-only at /usr/share/nginx/html.'], after: [] }
    })
  )
  return `${DOCKER_HEADER}\n${conf.join('\n')}\n`
}

// ---- Helm: a ConfigMap template; TLS ends at the ingress controller ----

const HELM_HEAD = `{{- /*
  ${GENERATED}
  ${CHECKED}
*/}}
{{- $component := "web" }}
{{- $values := .Values.web }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "latchkey.component" (list . $component) }}
  labels:
    {{- include "latchkey.labels" (list . $component) | nindent 4 }}
data:
  # The server block of nginx/docker.conf, minus TLS (the Ingress terminates it): included in the
  # image's http block. Security headers come from nginx/security-headers.conf and the JSON
  # answers of nginx's own errors from nginx/json-errors.conf, which the image holds in
  # /etc/nginx/latchkey/ (services/web/Dockerfile).
  default.conf: |
`

export function helmWebConfig (): string {
  const conf = paragraphs(
    ['server_tokens off;'],
    LOG_FORMAT,
    BODY_SIZE,
    [
      '# The client\'s address, as the ingress controller saw it, for the rate limit and the API.',
      '{{- range $values.realIpFrom }}',
      'set_real_ip_from {{ . }};',
      '{{- end }}',
      'real_ip_header X-Forwarded-For;',
      'real_ip_recursive on;'
    ],
    rateLimitZone('{{ $values.rateLimit.rate }}'),
    [
      '# The scheme the client used: TLS ends at the ingress controller.',
      ...block('map $http_x_forwarded_proto $client_scheme', ['default $http_x_forwarded_proto;', '""      $scheme;'])
    ],
    block('upstream auth_api', [
      '# The auth-api Service: Kubernetes spreads connections over the ready replicas.',
      'server {{ include "latchkey.component" (list . "auth-api") }}:3000;',
      ...KEEPALIVE
    ]),
    serverBlock({
      includes: IMAGE_INCLUDES,
      listen: ['listen 8080;'],
      serverName: '_',
      accessLog: ['access_log /var/log/nginx/access.log latchkey;'],
      clientScheme: '$client_scheme',
      failover: false,
      burst: '{{ $values.rateLimit.burst }}',
      page: { root: IMAGE_PAGE, before: [], after: [] }
    })
  )
  return `${HELM_HEAD}${indent(conf).join('\n')}\n`
}
