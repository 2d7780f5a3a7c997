// `up --foreground`: follow every log file and print its lines, prefixed with the process name.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

const POLL_MS = 200
const COLORS = [36, 33, 35, 32, 34, 91, 92, 93, 94, 95, 96]
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }
// Pino fields already shown in the line prefix, or noise in a terminal.
const HIDDEN_FIELDS = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v'])

export interface FollowedLog {
  name: string;
  file: string;
  offset: number;
}

function paint (text: string, color: number, useColor: boolean): string {
  return useColor ? `\x1b[${color}m${text}\x1b[0m` : text
}

function clock (time: unknown): string {
  const date = typeof time === 'number' || typeof time === 'string' ? new Date(time) : new Date()
  return date.toTimeString().slice(0, 8)
}

function fieldValue (value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) || value === '' ? JSON.stringify(value) : value
  return JSON.stringify(value)
}

/** A pino JSON line as "HH:MM:SS LEVEL msg key=val…"; any other line unchanged. */
export function renderLine (line: string): string {
  if (!line.startsWith('{')) return line
  let entry: Record<string, unknown>
  try {
    entry = JSON.parse(line) as Record<string, unknown>
  } catch {
    return line
  }
  if (typeof entry.level !== 'number') return line
  const level = (LEVELS[entry.level] ?? String(entry.level)).padEnd(5)
  const fields = Object.entries(entry)
    .filter(([key]) => !HIDDEN_FIELDS.has(key))
    .map(([key, value]) => `${key}=${fieldValue(value)}`)
  return [clock(entry.time), level, String(entry.msg ?? ''), ...fields].join(' ')
}

function readNewBytes (log: FollowedLog): string {
  if (!existsSync(log.file)) return ''
  const size = statSync(log.file).size
  if (size < log.offset) log.offset = 0 // truncated or replaced
  if (size === log.offset) return ''
  const buffer = Buffer.alloc(size - log.offset)
  const fd = openSync(log.file, 'r')
  try {
    readSync(fd, buffer, 0, buffer.length, log.offset)
  } finally {
    closeSync(fd)
  }
  // Keep a partial last line for the next round.
  const text = buffer.toString('utf8')
  const complete = text.slice(0, text.lastIndexOf('\n') + 1)
  log.offset += Buffer.byteLength(complete)
  return complete
}

/** Runs until `signal` aborts, then prints what came meanwhile (the last lines of a shutdown) once more. */
export async function followLogs (logs: FollowedLog[], signal: AbortSignal): Promise<void> {
  const useColor = process.stdout.isTTY === true
  const width = Math.max(...logs.map((log) => log.name.length))
  const prefixes = new Map(
    logs.map((log, i) => [log.name, paint(`${log.name.padEnd(width)} |`, COLORS[i % COLORS.length]!, useColor)])
  )
  for (;;) {
    for (const log of logs) {
      for (const line of readNewBytes(log).split('\n')) {
        if (line !== '') process.stdout.write(`${prefixes.get(log.name)} ${renderLine(line)}\n`)
      }
    }
    if (signal.aborted) return
    await sleep(POLL_MS)
  }
}
