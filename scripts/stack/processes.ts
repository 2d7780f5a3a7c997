// Starting detached processes and stopping exactly the ones this profile started.
//
// Each started process gets a record in .stack/<profile>/pids/<name>.json holding its
// pid and its kernel start time. The start time guards against pid reuse: a record
// whose pid now belongs to another program is treated as dead and never signalled.
import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

export interface ProcessRecord {
  name: string;
  pid: number;
  startTime: string;
  command: string;
  logFile: string;
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  logFile: string;
  pidDir: string;
}

/** Kernel start time (clock ticks since boot) of a pid, or undefined if it does not exist. */
function kernelStartTime (pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the ")" that closes the command name; starttime is field 22 overall.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields[19]
  } catch {
    return undefined
  }
}

function isZombie (pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
  } catch {
    return false
  }
}

export function isAlive (record: ProcessRecord): boolean {
  return kernelStartTime(record.pid) === record.startTime && !isZombie(record.pid)
}

function recordFile (pidDir: string, name: string): string {
  return join(pidDir, `${name}.json`)
}

export function recordProcess (pidDir: string, name: string, pid: number, command: string, logFile: string): ProcessRecord {
  const startTime = kernelStartTime(pid)
  if (startTime === undefined) throw new Error(`${name} (pid ${pid}) exited right after starting; see ${logFile}`)
  const record: ProcessRecord = { name, pid, startTime, command, logFile }
  mkdirSync(pidDir, { recursive: true })
  writeFileSync(recordFile(pidDir, name), `${JSON.stringify(record, null, 2)}\n`)
  return record
}

export function readRecord (pidDir: string, name: string): ProcessRecord | undefined {
  const file = recordFile(pidDir, name)
  if (!existsSync(file)) return undefined
  return JSON.parse(readFileSync(file, 'utf8')) as ProcessRecord
}

export function readAllRecords (pidDir: string): ProcessRecord[] {
  if (!existsSync(pidDir)) return []
  return readdirSync(pidDir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => JSON.parse(readFileSync(join(pidDir, file), 'utf8')) as ProcessRecord)
}

export function removeRecord (pidDir: string, name: string): void {
  rmSync(recordFile(pidDir, name), { force: true })
}

export function logSize (logFile: string): number {
  return existsSync(logFile) ? statSync(logFile).size : 0
}

/**
 * Starts a process in its own session (so a Ctrl-C in the terminal does not reach it),
 * appending its stdout and stderr to its log file.
 */
export function startDetached (options: StartOptions): ProcessRecord {
  const logFd = openSync(options.logFile, 'a')
  try {
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', logFd, logFd],
    })
    if (child.pid === undefined) throw new Error(`could not start ${options.name} (${options.command})`)
    child.unref()
    const commandLine = [options.command, ...options.args].join(' ')
    return recordProcess(options.pidDir, options.name, child.pid, commandLine, options.logFile)
  } finally {
    closeSync(logFd)
  }
}

function signal (pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
  }
}

export async function waitForExit (record: ProcessRecord, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (isAlive(record)) {
    if (Date.now() > deadline) return false
    await sleep(100)
  }
  return true
}

/**
 * Asks the process to stop with `gracefulSignal`, then kills its whole process group
 * (it leads one, being started detached) once `graceMs` has passed.
 */
export async function stopRecorded (
  record: ProcessRecord,
  gracefulSignal: NodeJS.Signals = 'SIGTERM',
  graceMs = 10_000
): Promise<void> {
  if (!isAlive(record)) return
  signal(record.pid, gracefulSignal)
  if (await waitForExit(record, graceMs)) return
  console.log(`  ${record.name} did not stop within ${graceMs / 1000} s; sending SIGKILL`)
  signal(-record.pid, 'SIGKILL')
  signal(record.pid, 'SIGKILL')
  await waitForExit(record, 5_000)
}
