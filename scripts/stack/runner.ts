// up / down / status for a whole profile, in dependency order.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { bareFastify } from './components/bare-fastify.ts'
import type { Component } from './components/component.ts'
import { logFileOf } from './components/component.ts'
import { mailhog } from './components/mailhog.ts'
import { mongo } from './components/mongo.ts'
import { nginx } from './components/nginx.ts'
import { rabbitmq } from './components/rabbitmq.ts'
import { apiReplica, mailer } from './components/services.ts'
import { isPortFree, portOwner } from './health.ts'
import { portsToCheck, type Profile } from './profile.ts'
import { isAlive, logSize, readAllRecords, readRecord, removeRecord, stopRecorded } from './processes.ts'
import { loadSecrets } from './secrets.ts'

/** Start order; `down` walks it backwards. */
export function componentsOf (profile: Profile): Component[] {
  return [
    ...(profile.externalMongoUrl ? [] : [mongo]),
    rabbitmq,
    mailhog,
    ...profile.apiPorts.map((_, index) => apiReplica(index)),
    mailer,
    ...(profile.bench?.barePorts.map((_, index) => bareFastify(index)) ?? []),
    nginx,
  ]
}

export type StackState = 'running' | 'stopped' | 'partial'

/** The components whose recorded process is alive (no health check: cheap enough to poll). */
export function aliveComponents (profile: Profile): Component[] {
  return componentsOf(profile).filter((component) => {
    const record = readRecord(profile.paths.pids, component.name)
    return record !== undefined && isAlive(record)
  })
}

/**
 * A signal that aborts once no process of the stack is alive, as after `npm run stack:down` in
 * another terminal: `npm start`'s log follower then leaves instead of following logs that have
 * ended. One component stopped and started again (the tests do that) leaves the others alive.
 */
export function watchUntilStopped (profile: Profile, pollMs = 1_000): { signal: AbortSignal, stop: () => void } {
  const controller = new AbortController()
  const timer = setInterval(() => {
    if (aliveComponents(profile).length === 0) controller.abort(new Error(`the "${profile.name}" stack stopped`))
  }, pollMs)
  return { signal: controller.signal, stop: () => { clearInterval(timer) } }
}

export async function stackState (profile: Profile): Promise<StackState> {
  const components = componentsOf(profile)
  const alive = aliveComponents(profile)
  if (alive.length === 0) return 'stopped'
  if (alive.length < components.length) return 'partial'
  const healthy = await Promise.all(components.map((component) => component.isHealthy(profile)))
  return healthy.every(Boolean) ? 'running' : 'partial'
}

export async function assertPortsFree (profile: Profile): Promise<void> {
  const taken: string[] = []
  for (const { port, variable } of portsToCheck(profile)) {
    if (await isPortFree(port)) continue
    const owner = portOwner(port)
    taken.push(`  port ${port} (${variable}) is in use${owner ? ` by ${owner}` : ''}`)
  }
  if (taken.length > 0) {
    throw new Error(
      `cannot start the "${profile.name}" stack:\n${taken.join('\n')}\n` +
        'Stop whatever holds it, or choose another port with the variable named.'
    )
  }
}

function prepareDirectories (profile: Profile): void {
  for (const dir of [profile.paths.logs, profile.paths.pids, profile.paths.jwtKeys]) {
    mkdirSync(dir, { recursive: true })
  }
}

/** Where each log file ended before this start, so a follower shows only this run. */
export type LogOffsets = Map<string, number>

/** Starts every component in order; call assertPortsFree first. */
export async function up (profile: Profile, interrupted: AbortSignal): Promise<LogOffsets> {
  prepareDirectories(profile)
  const offsets: LogOffsets = new Map()
  const components = componentsOf(profile)
  for (const component of components) {
    offsets.set(component.name, logSize(logFileOf(profile, component.name)))
  }
  for (const component of components) {
    interrupted.throwIfAborted()
    const startedAt = Date.now()
    process.stdout.write(`  starting ${component.name.padEnd(9)}`)
    await component.start(profile)
    process.stdout.write(` ok (${((Date.now() - startedAt) / 1000).toFixed(1)} s)\n`)
  }
  writeStackDescription(profile)
  return offsets
}

export async function down (profile: Profile): Promise<void> {
  await stopUnknownRecords(profile)
  for (const component of componentsOf(profile).reverse()) {
    const record = readRecord(profile.paths.pids, component.name)
    if (record && isAlive(record)) console.log(`  stopping ${component.name}`)
    await component.stop(profile)
  }
  rmSync(profile.paths.stackJson, { force: true })
}

/**
 * Processes this profile started that the current settings do not know about: API_REPLICAS
 * was lowered since `up`, or the stack was started by a version with other components.
 */
async function stopUnknownRecords (profile: Profile): Promise<void> {
  const known = new Set(componentsOf(profile).map((component) => component.name))
  for (const record of readAllRecords(profile.paths.pids)) {
    if (known.has(record.name)) continue
    if (isAlive(record)) {
      console.log(`  stopping ${record.name} (started with other settings)`)
      await stopRecorded(record)
    }
    removeRecord(profile.paths.pids, record.name)
  }
}

export interface ComponentStatus {
  name: string;
  pid: number | undefined;
  alive: boolean;
  healthy: boolean;
}

export async function status (profile: Profile): Promise<ComponentStatus[]> {
  return Promise.all(
    componentsOf(profile).map(async (component) => {
      const record = readRecord(profile.paths.pids, component.name)
      const alive = record !== undefined && isAlive(record)
      return { name: component.name, pid: record?.pid, alive, healthy: alive && (await component.isHealthy(profile)) }
    })
  )
}

/** The variables tests need, also written as .stack/<profile>/env. */
export function stackVariables (profile: Profile): Record<string, string> {
  const { urls, ports, paths } = profile
  return {
    STACK_PROFILE: profile.name,
    STACK_DIR: paths.root,
    E2E_BASE_URL: urls.publicUrl,
    PUBLIC_URL: urls.publicUrl,
    HTTPS_PORT: String(ports.HTTPS_PORT),
    HTTP_PORT: String(ports.HTTP_PORT),
    API_PORTS: profile.apiPorts.join(','),
    MAILER_PORT: String(ports.MAILER_PORT),
    METRICS_BASE_PORT: String(ports.METRICS_BASE_PORT),
    API_METRICS_PORTS: profile.apiMetricsPorts.join(','),
    MAILER_METRICS_PORT: String(profile.mailerMetricsPort),
    METRICS_URLS: metricsUrls(profile).join(','),
    MONGO_URL: urls.mongo,
    AMQP_URL: urls.amqp,
    RABBIT_MGMT_URL: urls.rabbitManagement,
    SMTP_URL: urls.smtp,
    INBOX_URL: urls.inbox,
    INBOX_API: urls.inboxApi,
    MAILHOG_BIN: paths.mailhogBinary,
    CODE_SECRET: loadSecrets(profile).CODE_SECRET,
    JWT_KEYS_DIR: paths.jwtKeys,
    TLS_CERT: paths.tlsCert,
    STACK_PIDS_DIR: paths.pids,
    STACK_LOGS_DIR: paths.logs,
  }
}

/** Every process's Prometheus endpoint: the replicas in order, then the mailer. */
function metricsUrls (profile: Profile): string[] {
  return [...profile.apiMetricsPorts, profile.mailerMetricsPort].map((port) => `http://127.0.0.1:${port}/metrics`)
}

function shellValue (value: string): string {
  return /^[\w@%+=:,./-]*$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`
}

function writeStackDescription (profile: Profile): void {
  const variables = stackVariables(profile)
  const envLines = Object.entries(variables).map(([key, value]) => `${key}=${shellValue(value)}`)
  writeFileSync(profile.paths.envFile, `${envLines.join('\n')}\n`, { mode: 0o600 })

  const processes = Object.fromEntries(readAllRecords(profile.paths.pids).map((record) => [record.name, record]))
  const { CODE_SECRET: _secret, ...publicVariables } = variables
  const description = { profile: profile.name, startedAt: new Date().toISOString(), ports: profile.ports, ...publicVariables, processes }
  writeFileSync(profile.paths.stackJson, `${JSON.stringify(description, null, 2)}\n`)
}

export function summary (profile: Profile): string {
  const { urls, paths, ports } = profile
  const stopCommand = profile.name === 'dev' ? 'npm run stack:down' : `STACK_PROFILE=${profile.name} npm run stack:down`
  const mongoNote = profile.externalMongoUrl ? 'external, from MONGO_URL' : `mongo-java-server, data in ${paths.mongoData}`
  return [
    `Latchkey "${profile.name}" stack is up.`,
    `  API            ${urls.publicUrl}   (http://localhost:${ports.HTTP_PORT} redirects there)`,
    `  API docs       ${urls.publicUrl}/docs`,
    `  Mail inbox     ${urls.inbox}   (MailHog; its API: ${urls.inboxApi}/v2/messages)`,
    `  RabbitMQ UI    ${urls.rabbitManagement}   (guest / guest)`,
    `  MongoDB        ${urls.mongo}   (${mongoNote})`,
    `  Replicas       ${profile.apiPorts.map((port) => `127.0.0.1:${port}`).join(', ')}`,
    `  Metrics        ${profile.apiMetricsPorts.map((port, i) => `api-${i + 1} :${port}`).join(', ')}, mailer :${profile.mailerMetricsPort}   (http://127.0.0.1:<port>/metrics)`,
    `  Logs           ${paths.logs}`,
    `  Stop with      ${stopCommand}`,
  ].join('\n')
}

export function logFiles (profile: Profile): { name: string; file: string }[] {
  return componentsOf(profile).map((component) => ({ name: component.name, file: logFileOf(profile, component.name) }))
}
