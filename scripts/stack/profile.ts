// Everything that depends on the chosen profile: ports, URLs and paths under .stack/<profile>/.
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
/** pom.xml (mongo-java-server's version) and the launcher class that scripts/install.sh builds into the user cache. */
export const MONGO_SERVER_SOURCES = join(REPO_ROOT, 'scripts', 'mongo-server')

export type ProfileName = 'dev' | 'test' | 'bench'

/** The mailer's metrics port is METRICS_BASE_PORT + this; replicas take the ports below it. */
const MAILER_METRICS_OFFSET = 10

/** Every port is overridable by an environment variable of the same name. */
export interface Ports {
  HTTPS_PORT: number;
  HTTP_PORT: number;
  API_BASE_PORT: number;
  API_REPLICAS: number;
  MAILER_PORT: number;
  MONGO_PORT: number;
  AMQP_PORT: number;
  RABBIT_MGMT_PORT: number;
  RABBIT_DIST_PORT: number;
  SMTP_PORT: number;
  INBOX_PORT: number;
  /** Prometheus metrics: replica i (1..) at base+i, the mailer at base+10. */
  METRICS_BASE_PORT: number;
}

const DEFAULT_PORTS: Record<ProfileName, Ports> = {
  dev: {
    HTTPS_PORT: 8443,
    HTTP_PORT: 8080,
    API_BASE_PORT: 3001,
    API_REPLICAS: 3,
    MAILER_PORT: 3100,
    MONGO_PORT: 27017,
    AMQP_PORT: 5672,
    RABBIT_MGMT_PORT: 15672,
    RABBIT_DIST_PORT: 25672,
    SMTP_PORT: 1025,
    INBOX_PORT: 8025,
    METRICS_BASE_PORT: 9100,
  },
  test: {
    HTTPS_PORT: 9443,
    HTTP_PORT: 9080,
    API_BASE_PORT: 4001,
    API_REPLICAS: 3,
    MAILER_PORT: 4100,
    MONGO_PORT: 27117,
    AMQP_PORT: 5772,
    RABBIT_MGMT_PORT: 15772,
    RABBIT_DIST_PORT: 25772,
    SMTP_PORT: 1125,
    INBOX_PORT: 8125,
    METRICS_BASE_PORT: 9200,
  },
  bench: {
    HTTPS_PORT: 7443,
    HTTP_PORT: 7080,
    API_BASE_PORT: 5001,
    API_REPLICAS: 3,
    MAILER_PORT: 5100,
    MONGO_PORT: 27217,
    AMQP_PORT: 5872,
    RABBIT_MGMT_PORT: 15872,
    RABBIT_DIST_PORT: 25872,
    SMTP_PORT: 1225,
    INBOX_PORT: 8225,
    METRICS_BASE_PORT: 9300,
  },
}

/** Where the bench profile's bare Fastify servers listen (one per API replica); `BARE_BASE_PORT` moves them. */
const DEFAULT_BARE_BASE_PORT = 5201

export interface Paths {
  root: string;
  logs: string;
  pids: string;
  certs: string;
  tlsCert: string;
  tlsKey: string;
  /** Holds the H2 file of the embedded MongoDB stand-in. */
  mongoData: string;
  rabbitmq: string;
  nginxPrefix: string;
  jwtKeys: string;
  secretsFile: string;
  stackJson: string;
  envFile: string;
  webDist: string;
  /** mongo-java-server's jars (lib/) and our compiled launcher (classes/), built by install.sh. */
  mongoServer: string;
  /** The MailHog binary built by install.sh. */
  mailhogBinary: string;
}

export interface Profile {
  name: ProfileName;
  ports: Ports;
  apiPorts: number[];
  /** Where each replica serves /metrics, in the order of apiPorts. */
  apiMetricsPorts: number[];
  mailerMetricsPort: number;
  paths: Paths;
  /** Set when the user points the stack at their own MongoDB; the embedded stand-in is then not started. */
  externalMongoUrl: string | undefined;
  urls: {
    publicUrl: string;
    mongo: string;
    amqp: string;
    rabbitManagement: string;
    smtp: string;
    inbox: string;
    inboxApi: string;
    mailer: string;
  };
  rabbitNodeName: string;
  /**
   * The bench profile only (`npm run bench`): Nginx lifts its per-address rate limit, which would
   * otherwise be what is measured, and proxies `GET /bare` to bare Fastify servers on these ports,
   * the yardstick for the API's own routes through the same Nginx.
   */
  bench: { barePorts: number[] } | undefined;
}

export function loadProfile (env: NodeJS.ProcessEnv = process.env): Profile {
  const name = profileName(env.STACK_PROFILE)
  const ports = portsFromEnv(DEFAULT_PORTS[name], env)
  const apiPorts = Array.from({ length: ports.API_REPLICAS }, (_, i) => ports.API_BASE_PORT + i)
  const mailerMetricsPort = ports.METRICS_BASE_PORT + MAILER_METRICS_OFFSET
  if (ports.API_REPLICAS >= MAILER_METRICS_OFFSET) {
    throw new Error(`API_REPLICAS must be below ${MAILER_METRICS_OFFSET}: replica metrics ports (METRICS_BASE_PORT+1..) would reach the mailer's (+${MAILER_METRICS_OFFSET})`)
  }
  if (mailerMetricsPort > 65535) throw new Error(`METRICS_BASE_PORT must be at most ${65535 - MAILER_METRICS_OFFSET}`)
  const ownMongoUrl = `mongodb://127.0.0.1:${ports.MONGO_PORT}/latchkey`
  // Tests source .stack/<profile>/env, which sets MONGO_URL to the stack's own server: not external.
  const externalMongoUrl = env.MONGO_URL && env.MONGO_URL !== ownMongoUrl ? env.MONGO_URL : undefined
  return {
    name,
    ports,
    apiPorts,
    apiMetricsPorts: apiPorts.map((_, i) => ports.METRICS_BASE_PORT + 1 + i),
    mailerMetricsPort,
    paths: pathsFor(name, env),
    externalMongoUrl,
    urls: urlsFor(ports, externalMongoUrl ?? ownMongoUrl),
    rabbitNodeName: `latchkey-${name}@localhost`,
    bench: name === 'bench' ? { barePorts: barePorts(ports.API_REPLICAS, env) } : undefined,
  }
}

function barePorts (count: number, env: NodeJS.ProcessEnv): number[] {
  const raw = env.BARE_BASE_PORT
  const base = raw ? Number(raw) : DEFAULT_BARE_BASE_PORT
  if (!Number.isInteger(base) || base < 1 || base + count - 1 > 65535) {
    throw new Error(`BARE_BASE_PORT must be a port number (1-${65536 - count}), got "${raw}"`)
  }
  return Array.from({ length: count }, (_, i) => base + i)
}

function profileName (value: string | undefined): ProfileName {
  const name = value || 'dev'
  if (name !== 'dev' && name !== 'test' && name !== 'bench') {
    throw new Error(`STACK_PROFILE must be "dev", "test" or "bench", got "${name}"`)
  }
  return name
}

function portsFromEnv (defaults: Ports, env: NodeJS.ProcessEnv): Ports {
  const ports = { ...defaults }
  for (const key of Object.keys(ports) as (keyof Ports)[]) {
    const raw = env[key]
    if (raw === undefined || raw === '') continue
    const value = Number(raw)
    if (!Number.isInteger(value) || value < 1 || value > 65535) {
      throw new Error(`${key} must be a port number (1-65535), got "${raw}"`)
    }
    ports[key] = value
  }
  return ports
}

function cacheDir (env: NodeJS.ProcessEnv): string {
  return env.LATCHKEY_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'latchkey')
}

function pathsFor (name: ProfileName, env: NodeJS.ProcessEnv): Paths {
  const root = join(REPO_ROOT, '.stack', name)
  const certs = join(root, 'certs')
  return {
    root,
    logs: join(root, 'logs'),
    pids: join(root, 'pids'),
    certs,
    tlsCert: join(certs, 'server.crt'),
    tlsKey: join(certs, 'server.key'),
    mongoData: join(root, 'mongo'),
    rabbitmq: join(root, 'rabbitmq'),
    nginxPrefix: join(root, 'nginx'),
    jwtKeys: join(root, 'jwt-keys'),
    secretsFile: join(root, 'secrets.env'),
    stackJson: join(root, 'stack.json'),
    envFile: join(root, 'env'),
    webDist: join(REPO_ROOT, 'services', 'web', 'dist'),
    mongoServer: join(cacheDir(env), 'mongo-server'),
    mailhogBinary: join(cacheDir(env), 'mailhog', 'mailhog'),
  }
}

function urlsFor (ports: Ports, mongoUrl: string): Profile['urls'] {
  return {
    publicUrl: `https://localhost:${ports.HTTPS_PORT}`,
    mongo: mongoUrl,
    amqp: `amqp://guest:guest@127.0.0.1:${ports.AMQP_PORT}`,
    rabbitManagement: `http://127.0.0.1:${ports.RABBIT_MGMT_PORT}`,
    smtp: `smtp://127.0.0.1:${ports.SMTP_PORT}`,
    inbox: `http://127.0.0.1:${ports.INBOX_PORT}/`,
    inboxApi: `http://127.0.0.1:${ports.INBOX_PORT}/api`,
    mailer: `http://127.0.0.1:${ports.MAILER_PORT}`,
  }
}

/** The ports this profile will listen on, labelled with the variable that sets each. */
export function portsToCheck (profile: Profile): { port: number; variable: string }[] {
  const { ports } = profile
  const list = [
    { port: ports.HTTPS_PORT, variable: 'HTTPS_PORT' },
    { port: ports.HTTP_PORT, variable: 'HTTP_PORT' },
    ...profile.apiPorts.map((port, i) => ({
      port,
      variable: `API_BASE_PORT (+${i}, replica api-${i + 1} of API_REPLICAS)`,
    })),
    { port: ports.MAILER_PORT, variable: 'MAILER_PORT' },
    ...profile.apiMetricsPorts.map((port, i) => ({
      port,
      variable: `METRICS_BASE_PORT (+${i + 1}, metrics of api-${i + 1})`,
    })),
    { port: profile.mailerMetricsPort, variable: `METRICS_BASE_PORT (+${MAILER_METRICS_OFFSET}, metrics of the mailer)` },
    { port: ports.AMQP_PORT, variable: 'AMQP_PORT' },
    { port: ports.RABBIT_MGMT_PORT, variable: 'RABBIT_MGMT_PORT' },
    { port: ports.RABBIT_DIST_PORT, variable: 'RABBIT_DIST_PORT' },
    { port: ports.SMTP_PORT, variable: 'SMTP_PORT' },
    { port: ports.INBOX_PORT, variable: 'INBOX_PORT' },
  ]
  if (!profile.externalMongoUrl) list.push({ port: ports.MONGO_PORT, variable: 'MONGO_PORT' })
  profile.bench?.barePorts.forEach((port, i) => list.push({ port, variable: `BARE_BASE_PORT (+${i}, bare Fastify server bare-${i + 1})` }))
  return list
}
