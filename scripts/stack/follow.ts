// `up --foreground`: follow every log file and print its lines, prefixed with the process name.
// Pino's JSON lines are rendered by pino-pretty, one line each; other lines (RabbitMQ, the JVM,
// MailHog) pass through as they are.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { prettyFactory } from 'pino-pretty'

const POLL_MS = 200
const COLORS = [36, 33, 35, 32, 34, 91, 92, 93, 94, 95, 96]

export interface FollowedLog {
  name: string;
  file: string;
  offset: number;
}

function paint (text: string, color: number, useColor: boolean): string {
  return useColor ? `\x1b[${color}m${text}\x1b[0m` : text
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
  // Fields the prefix already says, or noise in a terminal.
  const render = prettyFactory({ colorize: useColor, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', singleLine: true })
  const width = Math.max(...logs.map((log) => log.name.length))
  const prefixes = new Map(
    logs.map((log, i) => [log.name, paint(`${log.name.padEnd(width)} |`, COLORS[i % COLORS.length]!, useColor)])
  )
  for (;;) {
    for (const log of logs) {
      for (const line of readNewBytes(log).split('\n')) {
        if (line !== '') process.stdout.write(`${prefixes.get(log.name)} ${render(line).trimEnd()}\n`)
      }
    }
    if (signal.aborted) return
    await sleep(POLL_MS)
  }
}
