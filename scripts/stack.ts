// Runs Latchkey's local stack: mongo-java-server, RabbitMQ, mailhog, the auth-api replicas,
// the mailer and Nginx, all bound to 127.0.0.1 with their state under .stack/<profile>/.
//
//   tsx scripts/stack.ts up [--foreground]   start (idempotent); --foreground follows the logs
//   tsx scripts/stack.ts down                stop everything this profile started
//   tsx scripts/stack.ts status              what runs and whether it is healthy
//   tsx scripts/stack.ts broker stop|start   stop or start only RabbitMQ
//
// STACK_PROFILE=dev (default), test or bench (npm run bench's own stack) selects ports and directory.
import { rabbitmq } from './stack/components/rabbitmq.ts'
import { followLogs } from './stack/follow.ts'
import { loadProfile, type Profile } from './stack/profile.ts'
import { logSize } from './stack/processes.ts'
import { assertPortsFree, down, logFiles, stackState, status, summary, up, watchUntilStopped, type LogOffsets } from './stack/runner.ts'

const USAGE = 'usage: tsx scripts/stack.ts up [--foreground] | down | status | broker stop|start'

class UsageError extends Error {}
/** Already explained to the user; only the exit code is left to set. */
class ReportedError extends Error {}

async function upCommand (profile: Profile, foreground: boolean): Promise<void> {
  const interrupted = abortOnSignals()
  const state = await stackState(profile)
  let offsets: LogOffsets | undefined
  if (state === 'running') {
    console.log(`The "${profile.name}" stack is already running and healthy.`)
  } else {
    if (state === 'partial') {
      console.log(`The "${profile.name}" stack is partly running or unhealthy; stopping it first.`)
      await down(profile)
    }
    await assertPortsFree(profile)
    console.log(`Starting the "${profile.name}" stack:`)
    offsets = await upOrCleanUp(profile, interrupted)
  }
  console.log(`\n${summary(profile)}\n`)
  if (foreground) await followUntilInterrupted(profile, offsets, interrupted)
}

/** Ctrl-C or SIGTERM: stop starting, or stop following, and shut down in order. */
function abortOnSignals (): AbortSignal {
  const controller = new AbortController()
  // `on`, not `once`: a second Ctrl-C must not cut the orderly shutdown short.
  const abort = () => controller.abort(new Error('interrupted'))
  process.on('SIGINT', abort)
  process.on('SIGTERM', abort)
  return controller.signal
}

/** A failed or interrupted start leaves nothing running; the logs stay for reading. */
async function upOrCleanUp (profile: Profile, interrupted: AbortSignal): Promise<LogOffsets> {
  try {
    return await up(profile, interrupted)
  } catch (error) {
    process.stdout.write('\n')
    console.error(`${(error as Error).message}\n\nStopping what was started…`)
    await down(profile)
    throw new ReportedError()
  }
}

async function followUntilInterrupted (profile: Profile, offsets: LogOffsets | undefined, interrupted: AbortSignal): Promise<void> {
  console.log('Following the logs; press Ctrl-C to stop the stack.\n')
  const logs = logFiles(profile).map(({ name, file }) => ({ name, file, offset: offsets?.get(name) ?? logSize(file) }))
  const stoppedElsewhere = watchUntilStopped(profile)
  try {
    await followLogs(logs, AbortSignal.any([interrupted, stoppedElsewhere.signal]))
  } finally {
    stoppedElsewhere.stop()
  }
  if (!interrupted.aborted) {
    console.log(`\nThe "${profile.name}" stack was stopped from elsewhere (npm run stack:down, or its processes ended); no longer following its logs.`)
    return
  }
  console.log('\nStopping the stack…')
  await down(profile)
}

async function statusCommand (profile: Profile): Promise<void> {
  const rows = await status(profile)
  console.log(`"${profile.name}" stack (${profile.paths.root})`)
  console.log(`  ${'NAME'.padEnd(10)} ${'PID'.padEnd(8)} ${'PROCESS'.padEnd(8)} HEALTH`)
  for (const row of rows) {
    const pid = row.pid === undefined ? '-' : String(row.pid)
    const health = row.alive ? (row.healthy ? 'healthy' : 'UNHEALTHY') : '-'
    console.log(`  ${row.name.padEnd(10)} ${pid.padEnd(8)} ${(row.alive ? 'alive' : 'dead').padEnd(8)} ${health}`)
  }
  const allHealthy = rows.every((row) => row.healthy)
  if (!allHealthy) process.exitCode = 3
}

async function brokerCommand (profile: Profile, action: string | undefined): Promise<void> {
  if (action === 'stop') {
    await rabbitmq.stop(profile)
    console.log('RabbitMQ stopped.')
  } else if (action === 'start') {
    await rabbitmq.start(profile)
    console.log(`RabbitMQ started: ${profile.urls.amqp}`)
  } else {
    throw new UsageError(USAGE)
  }
}

async function main (args: string[]): Promise<void> {
  const [command, ...rest] = args
  const profile = loadProfile()
  switch (command) {
    case 'up':
      return upCommand(profile, rest.includes('--foreground'))
    case 'down':
      console.log(`Stopping the "${profile.name}" stack.`)
      return down(profile)
    case 'status':
      return statusCommand(profile)
    case 'broker':
      return brokerCommand(profile, rest[0])
    default:
      throw new UsageError(USAGE)
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(),
  (error: unknown) => {
    if (!(error instanceof ReportedError)) console.error(error instanceof UsageError ? error.message : `error: ${(error as Error).message}`)
    process.exit(error instanceof UsageError ? 2 : 1)
  }
)
