// RabbitMQ run from Debian's raw scripts (not the service wrapper, which switches to the
// rabbitmq user and its global data dir): all state of a profile's node stays under
// .stack/<profile>/rabbitmq, and a custom HOME gives it and rabbitmqctl their own cookie.
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { answersOk, canConnect, waitUntil } from '../health.ts'
import type { Profile } from '../profile.ts'
import { readRecord, recordProcess, stopRecorded, removeRecord } from '../processes.ts'
import { baseEnv, logFileOf, type Component } from './component.ts'

const NAME = 'rabbitmq'
const EPMD_PORT = 4369
const RABBITMQ_LIB = '/usr/lib/rabbitmq/lib'
const run = promisify(execFile)

function sbinDir (): string {
  const installed = existsSync(RABBITMQ_LIB)
    ? readdirSync(RABBITMQ_LIB).filter((dir) => dir.startsWith('rabbitmq_server-')).sort()
    : []
  const newest = installed.at(-1)
  if (!newest) throw new Error(`RabbitMQ is not installed (nothing in ${RABBITMQ_LIB}): run bash scripts/install.sh`)
  return join(RABBITMQ_LIB, newest, 'sbin')
}

function rabbitPaths (profile: Profile) {
  const dir = profile.paths.rabbitmq
  return {
    dir,
    home: join(dir, 'home'),
    mnesia: join(dir, 'mnesia'),
    enabledPlugins: join(dir, 'enabled_plugins'),
    config: join(dir, 'rabbitmq.conf'),
    pidFile: join(dir, 'node.pid'),
    // Present when our node had to start epmd, so that stopping it may stop epmd too.
    epmdMarker: join(dir, 'epmd-started-by-stack'),
  }
}

function nodeEnv (profile: Profile): NodeJS.ProcessEnv {
  const paths = rabbitPaths(profile)
  return {
    ...baseEnv(),
    HOME: paths.home,
    RABBITMQ_NODENAME: profile.rabbitNodeName,
    RABBITMQ_MNESIA_BASE: paths.mnesia,
    RABBITMQ_LOG_BASE: paths.dir,
    RABBITMQ_LOGS: logFileOf(profile, NAME),
    RABBITMQ_ENABLED_PLUGINS_FILE: paths.enabledPlugins,
    RABBITMQ_CONFIG_FILE: paths.config,
    RABBITMQ_PID_FILE: paths.pidFile,
    RABBITMQ_DIST_PORT: String(profile.ports.RABBIT_DIST_PORT),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  }
}

function writeNodeConfig (profile: Profile): void {
  const paths = rabbitPaths(profile)
  mkdirSync(paths.home, { recursive: true })
  mkdirSync(paths.mnesia, { recursive: true })
  writeFileSync(paths.enabledPlugins, '[rabbitmq_management].\n')
  writeFileSync(
    paths.config,
    [
      `listeners.tcp.default = 127.0.0.1:${profile.ports.AMQP_PORT}`,
      'management.tcp.ip = 127.0.0.1',
      `management.tcp.port = ${profile.ports.RABBIT_MGMT_PORT}`,
      // Info level is some 150 lines of boot chatter per start.
      'log.file.level = warning',
      '',
    ].join('\n')
  )
}

function rabbitmqctl (profile: Profile, args: string[]) {
  return run(join(sbinDir(), 'rabbitmqctl'), ['-n', profile.rabbitNodeName, ...args], { env: nodeEnv(profile) })
}

async function isHealthy (profile: Profile): Promise<boolean> {
  return (await canConnect(profile.ports.AMQP_PORT)) && (await answersOk(`${profile.urls.rabbitManagement}/`))
}

async function waitForPidFile (pidFile: string): Promise<number> {
  await waitUntil(async () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', {
    what: 'RabbitMQ pid file',
    timeoutMs: 30_000,
  })
  return Number(readFileSync(pidFile, 'utf8').trim())
}

/** Node names registered with epmd; empty when epmd is not running. */
async function registeredNodeNames (): Promise<string[]> {
  try {
    const { stdout } = await run('epmd', ['-names'], { env: baseEnv() })
    return [...stdout.matchAll(/^name (\S+) at port/gm)].map((match) => match[1]!)
  } catch {
    return []
  }
}

async function assertNodeNameFree (profile: Profile): Promise<void> {
  const shortName = profile.rabbitNodeName.split('@')[0]!
  if ((await registeredNodeNames()).includes(shortName)) {
    throw new Error(
      `a RabbitMQ node named ${profile.rabbitNodeName} is already running ` +
        `(another checkout running the "${profile.name}" stack?)`
    )
  }
}

async function start (profile: Profile): Promise<void> {
  await assertNodeNameFree(profile)
  writeNodeConfig(profile)
  const paths = rabbitPaths(profile)
  rmSync(paths.pidFile, { force: true })
  if (!(await canConnect(EPMD_PORT))) writeFileSync(paths.epmdMarker, '')
  // -detached returns before the node has booted. Record the VM at once, so that a boot
  // that fails below is still stopped by `down`, then wait for the broker to be up.
  await run(join(sbinDir(), 'rabbitmq-server'), ['-detached'], { env: nodeEnv(profile), cwd: paths.dir })
  const pid = await waitForPidFile(paths.pidFile)
  recordProcess(profile.paths.pids, NAME, pid, `rabbitmq-server (node ${profile.rabbitNodeName})`, logFileOf(profile, NAME))
  try {
    await rabbitmqctl(profile, ['wait', paths.pidFile, '--timeout', '90'])
  } catch (error) {
    throw new Error(`RabbitMQ did not start; see ${logFileOf(profile, NAME)}\n${(error as Error).message}`)
  }
}

async function stopEpmdIfOurs (profile: Profile): Promise<void> {
  const { epmdMarker } = rabbitPaths(profile)
  if (!existsSync(epmdMarker)) return
  rmSync(epmdMarker)
  // epmd refuses to quit while any other Erlang node is still registered with it.
  await run('epmd', ['-kill'], { env: baseEnv() }).catch(() => undefined)
}

async function stop (profile: Profile): Promise<void> {
  const record = readRecord(profile.paths.pids, NAME)
  if (record) {
    // `stop <pidfile>` returns only once the Erlang VM has exited.
    await rabbitmqctl(profile, ['stop', rabbitPaths(profile).pidFile]).catch(() => undefined)
    await stopRecorded(record)
    removeRecord(profile.paths.pids, NAME)
  }
  await stopEpmdIfOurs(profile)
}

export const rabbitmq: Component = { name: NAME, start, stop, isHealthy }
