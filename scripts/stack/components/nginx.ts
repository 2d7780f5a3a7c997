// Nginx: TLS termination, HTTP->HTTPS redirect, load balancing over the API replicas.
import { execFileSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { passiveHealthCheck } from '../../edge/settings.ts'
import { answersOk, waitUntil } from '../health.ts'
import { REPO_ROOT, type Profile } from '../profile.ts'
import { baseEnv, startProcess, stopProcess, type Component } from './component.ts'

const NAME = 'nginx'
const TEMPLATE = join(REPO_ROOT, 'nginx', 'nginx.conf.template')
const WEB_PAGE_BLOCK = /^[ \t]*# BEGIN web-page[^\n]*\n[\s\S]*?^[ \t]*# END web-page[^\n]*\n/m
/** Only the bench profile keeps these blocks, and only it drops the per-address limit lines. */
const BENCH_ONLY_BLOCKS = /^[ \t]*# BEGIN bench-only[^\n]*\n[\s\S]*?^[ \t]*# END bench-only[^\n]*\n/gm
const PER_ADDRESS_LIMIT_LINES = /^[^\n]*# per-address limit[^\n]*\n/gm
const TEMP_DIRS = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
/**
 * Included by the template as latchkey/<file>, relative to conf/: the same relative place as in
 * the Docker and Helm images (/etc/nginx/latchkey/), so json-errors.conf finds the security headers
 * in every one of them.
 */
const INCLUDED_FILES = ['security-headers.conf', 'json-errors.conf']

function nginxBinary (): string {
  // Debian installs it in /usr/sbin, which is not on every PATH.
  return existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx'
}

function configFile (profile: Profile): string {
  return join(profile.paths.nginxPrefix, 'conf', 'nginx.conf')
}

function ensureCertificate (profile: Profile): void {
  const { certs, tlsCert, tlsKey } = profile.paths
  if (existsSync(tlsCert) && existsSync(tlsKey)) return
  mkdirSync(certs, { recursive: true })
  execFileSync('openssl', [
    'req', '-x509',
    '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-days', '825',
    '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', tlsKey, '-out', tlsCert,
  ], { stdio: 'pipe' })
  chmodSync(tlsKey, 0o600)
}

function hasWebPage (profile: Profile): boolean {
  return existsSync(join(profile.paths.webDist, 'index.html'))
}

function renderConfig (profile: Profile, template: string): string {
  const servers = profile.apiPorts
    .map((port) => `        server 127.0.0.1:${port} ${passiveHealthCheck()};`)
    .join('\n')
  const values: Record<string, string> = {
    ACCESS_LOG: join(profile.paths.logs, 'nginx-access.log'),
    API_SERVERS: servers,
    HTTP_PORT: String(profile.ports.HTTP_PORT),
    HTTPS_PORT: String(profile.ports.HTTPS_PORT),
    TLS_CERT: profile.paths.tlsCert,
    TLS_KEY: profile.paths.tlsKey,
    WEB_ROOT: profile.paths.webDist,
    BARE_SERVERS: (profile.bench?.barePorts ?? []).map((port) => `        server 127.0.0.1:${port};`).join('\n'),
  }
  const withWebPage = hasWebPage(profile) ? template : template.replace(WEB_PAGE_BLOCK, '')
  const forProfile = profile.bench ? withWebPage.replace(PER_ADDRESS_LIMIT_LINES, '') : withWebPage.replace(BENCH_ONLY_BLOCKS, '')
  return forProfile.replace(/\{\{([A-Z_]+)\}\}/g, (placeholder, key: string) => {
    const value = values[key]
    if (value === undefined) throw new Error(`${TEMPLATE}: unknown placeholder ${placeholder}`)
    return value
  })
}

function prepareNginxPrefix (profile: Profile): void {
  const prefix = profile.paths.nginxPrefix
  mkdirSync(join(prefix, 'conf', 'latchkey'), { recursive: true })
  for (const file of INCLUDED_FILES) copyFileSync(join(REPO_ROOT, 'nginx', file), join(prefix, 'conf', 'latchkey', file))
  mkdirSync(join(prefix, 'logs'), { recursive: true })
  for (const dir of TEMP_DIRS) {
    const path = join(prefix, 'tmp', dir)
    mkdirSync(path, { recursive: true })
    // Workers run as nobody when the master is root and must write buffered bodies here.
    chmodSync(path, 0o1777)
  }
  writeFileSync(configFile(profile), renderConfig(profile, readFileSync(TEMPLATE, 'utf8')))
}

function nginxArgs (profile: Profile, ...extra: string[]): string[] {
  return ['-p', profile.paths.nginxPrefix, '-c', 'conf/nginx.conf', '-e', 'stderr', ...extra]
}

function validateConfig (profile: Profile): void {
  try {
    execFileSync(nginxBinary(), nginxArgs(profile, '-t', '-q'), { stdio: 'pipe', env: baseEnv() })
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? ''
    throw new Error(`nginx rejected ${configFile(profile)}:\n${stderr}`)
  }
}

function healthUrl (profile: Profile): string {
  return `https://localhost:${profile.ports.HTTPS_PORT}/nginx-health`
}

async function isHealthy (profile: Profile): Promise<boolean> {
  return answersOk(healthUrl(profile))
}

async function start (profile: Profile): Promise<void> {
  ensureCertificate(profile)
  prepareNginxPrefix(profile)
  validateConfig(profile)
  const record = startProcess(profile, NAME, nginxBinary(), nginxArgs(profile, '-g', 'daemon off;'))
  await waitUntil(() => isHealthy(profile), { what: 'nginx', timeoutMs: 15_000, process: record })
}

async function stop (profile: Profile): Promise<void> {
  // SIGQUIT: graceful shutdown, open requests finish first.
  await stopProcess(profile, NAME, 'SIGQUIT')
}

export const nginx: Component = { name: NAME, start, stop, isHealthy }
