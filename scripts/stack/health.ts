// Probes used to decide whether a port is free and whether a server is ready.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { isAlive, type ProcessRecord } from './processes.ts'

const PROBE_TIMEOUT_MS = 2_000

export function isPortFree (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/** "nginx (pid 123)" from `ss`, when the listening socket's owner is visible to us. */
export function portOwner (port: number): string | undefined {
  try {
    const output = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' })
    const match = /users:\(\("([^"]+)",pid=(\d+)/.exec(output)
    return match ? `${match[1]} (pid ${match[2]})` : undefined
  } catch {
    return undefined
  }
}

export function canConnect (port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host, timeout: PROBE_TIMEOUT_MS })
    const finish = (result: boolean) => {
      socket.destroy()
      resolve(result)
    }
    socket.once('connect', () => finish(true))
    socket.once('error', () => finish(false))
    socket.once('timeout', () => finish(false))
  })
}

export interface HttpResult {
  status: number;
  body: string;
}

/** GET a URL; TLS certificates are not verified (the stack's own is self-signed). */
export function httpGet (url: string): Promise<HttpResult> {
  const client = url.startsWith('https:') ? https : http
  return new Promise((resolve, reject) => {
    const request = client.get(url, { rejectUnauthorized: false, timeout: PROBE_TIMEOUT_MS }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    })
    request.once('timeout', () => request.destroy(new Error(`timeout after ${PROBE_TIMEOUT_MS} ms`)))
    request.once('error', reject)
  })
}

export async function answersOk (url: string): Promise<boolean> {
  try {
    return (await httpGet(url)).status === 200
  } catch {
    return false
  }
}

export interface WaitOptions {
  what: string;
  timeoutMs: number;
  /** Stop waiting at once if this process dies, and show the end of its log. */
  process?: ProcessRecord;
}

export async function waitUntil (check: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs
  for (;;) {
    if (await check()) return
    if (options.process && !isAlive(options.process)) {
      throw new Error(`${options.what}: process exited while starting\n${logTail(options.process.logFile)}`)
    }
    if (Date.now() > deadline) {
      const tail = options.process ? `\n${logTail(options.process.logFile)}` : ''
      throw new Error(`${options.what}: not ready after ${options.timeoutMs / 1000} s${tail}`)
    }
    await sleep(250)
  }
}

export function logTail (logFile: string, lines = 20): string {
  try {
    const text = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
    return `--- last lines of ${logFile} ---\n${text}`
  } catch {
    return `(no log at ${logFile})`
  }
}
