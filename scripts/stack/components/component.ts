// What every piece of the stack provides to the runner.
import { join } from 'node:path'
import type { Profile } from '../profile.ts'
import { readRecord, removeRecord, startDetached, stopRecorded, type ProcessRecord } from '../processes.ts'

export interface Component {
  /** Also the name of its pid record and of its log file. */
  name: string;
  start(profile: Profile): Promise<void>;
  stop(profile: Profile): Promise<void>;
  isHealthy(profile: Profile): Promise<boolean>;
}

export function logFileOf (profile: Profile, name: string): string {
  return join(profile.paths.logs, `${name}.log`)
}

/** The variables a child needs from our own environment, without leaking the rest. */
export function baseEnv (): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS']
  return Object.fromEntries(keep.filter((key) => process.env[key] !== undefined).map((key) => [key, process.env[key]]))
}

export function startProcess (
  profile: Profile,
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = baseEnv()
): ProcessRecord {
  return startDetached({
    name,
    command,
    args,
    env,
    cwd: profile.paths.root,
    logFile: logFileOf(profile, name),
    pidDir: profile.paths.pids,
  })
}

export async function stopProcess (profile: Profile, name: string, gracefulSignal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const record = readRecord(profile.paths.pids, name)
  if (record) await stopRecorded(record, gracefulSignal)
  removeRecord(profile.paths.pids, name)
}
