// Control of a running stack from tests, e.g. to take the broker away and bring it back:
//
//   import { stopBroker, startBroker, processPid } from '../scripts/stack-control.ts';
//   await stopBroker();            // RabbitMQ of STACK_PROFILE (test under `npm test`)
//   await startBroker();
//   process.kill(processPid('api-2'), 'SIGKILL');   // or: await stopComponent('api-2')
//   await killComponent('mongo');                    // SIGKILL, and returns once it is gone
//   await startComponent('api-2');                   // waits until it is healthy again
import type { Component } from './stack/components/component.ts'
import { rabbitmq } from './stack/components/rabbitmq.ts'
import { loadProfile, type Profile } from './stack/profile.ts'
import { isAlive, readRecord, waitForExit } from './stack/processes.ts'
import { componentsOf } from './stack/runner.ts'

function currentProfile (): Profile {
  return loadProfile(process.env)
}

function component (profile: Profile, name: string): Component {
  const found = componentsOf(profile).find((candidate) => candidate.name === name)
  if (!found) {
    const names = componentsOf(profile).map((candidate) => candidate.name).join(', ')
    throw new Error(`no stack component "${name}" (known: ${names})`)
  }
  return found
}

/** Stops RabbitMQ and returns once its VM has exited. */
export async function stopBroker (): Promise<void> {
  await rabbitmq.stop(currentProfile())
}

/** Starts RabbitMQ again (same data dir) and returns once it accepts connections. */
export async function startBroker (): Promise<void> {
  await rabbitmq.start(currentProfile())
}

/** Stops one component gracefully, e.g. "api-2", "mailer", "mongo", "mailhog". */
export async function stopComponent (name: string): Promise<void> {
  const profile = currentProfile()
  await component(profile, name).stop(profile)
}

/** Starts one component and waits until it is healthy. */
export async function startComponent (name: string): Promise<void> {
  const profile = currentProfile()
  await component(profile, name).start(profile)
}

/** The pid of a running component, for tests that want to kill it abruptly. */
export function processPid (name: string): number {
  const record = readRecord(currentProfile().paths.pids, name)
  if (!record || !isAlive(record)) throw new Error(`stack component "${name}" is not running`)
  return record.pid
}

/** Kills a component with SIGKILL (no shutdown hook, no flush) and returns once the process is gone. */
export async function killComponent (name: string): Promise<void> {
  const record = readRecord(currentProfile().paths.pids, name)
  if (!record || !isAlive(record)) throw new Error(`stack component "${name}" is not running`)
  process.kill(record.pid, 'SIGKILL')
  if (!await waitForExit(record, 10_000)) throw new Error(`stack component "${name}" (pid ${record.pid}) outlived SIGKILL by 10 s`)
}
