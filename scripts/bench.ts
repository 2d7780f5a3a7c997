// Measures a running stack (`npm run stack:up` first) and prints ratios, not verdicts:
//
//   npm run bench                 # the dev stack; STACK_PROFILE=test for the test one
//   BENCH_SECONDS=10 npm run bench
//
// Registration and sign-in go to the replicas directly, spread over all of them: Nginx's
// per-address rate limit on those routes would otherwise be what is measured.
// Password hashing dominates registration and sign-in, so each is compared with the bare
// argon2 rate of this machine at the same parameters: the ratio says how much of the
// machine the rest (TLS, Nginx, Fastify, database, lock, outbox) leaves for hashing.
// /health through Nginx is compared with /health on one replica directly: the cost of TLS
// and the proxy hop. Replica memory is read before and after the load.
import { readFileSync } from 'node:fs'
import { Agent, request } from 'node:https'
import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import argon2 from 'argon2'
import { loadProfile } from './stack/profile.ts'
import { readRecord } from './stack/processes.ts'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16)
const OWASP = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const

const profile = loadProfile(process.env)
const base = profile.urls.publicUrl
const tlsAgent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, rejectUnauthorized: false })
const plainAgent = new HttpAgent({ keepAlive: true, maxSockets: CONCURRENCY })

async function send (url: string, method: string, body?: object): Promise<number> {
  const target = new URL(url)
  const payload = body ? JSON.stringify(body) : undefined
  const send = target.protocol === 'https:' ? request : httpRequest
  return await new Promise((resolve, reject) => {
    const req = send(target, {
      method,
      agent: target.protocol === 'https:' ? tlsAgent : plainAgent,
      headers: payload ? { 'content-type': 'application/json' } : {}
    }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)) })
    req.on('error', reject)
    if (payload) req.write(payload)
    req.end()
  })
}

/** Runs `work` from CONCURRENCY loops for SECONDS; returns completions per second and statuses. */
async function rate (work: (i: number) => Promise<number>, concurrency = CONCURRENCY): Promise<{ perSecond: number, statuses: Map<number, number> }> {
  const deadline = Date.now() + SECONDS * 1000
  const statuses = new Map<number, number>()
  let done = 0
  let next = 0
  const started = Date.now()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < deadline) {
      const status = await work(next++)
      statuses.set(status, (statuses.get(status) ?? 0) + 1)
      done++
    }
  }))
  return { perSecond: done / ((Date.now() - started) / 1000), statuses }
}

function replicaRssMiB (): number {
  return profile.apiPorts.reduce((sum, _port, i) => {
    const record = readRecord(profile.paths.pids, `api-${i + 1}`)
    if (!record) return sum
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${record.pid}/status`, 'utf8'))
    return sum + Number(rss?.[1] ?? 0) / 1024
  }, 0)
}

const format = (n: number): string => n.toFixed(n >= 100 ? 0 : 1)
const statusList = (statuses: Map<number, number>): string => [...statuses].map(([s, n]) => `${s}×${n}`).join(' ')

async function main (): Promise<void> {
  const run = Date.now().toString(36)
  const password = 'bench-password-long-enough'
  const rssBefore = replicaRssMiB()
  console.log(`Latchkey bench: ${SECONDS} s per measure, ${CONCURRENCY} concurrent, stack "${profile.name}" at ${base}\n`)

  const hashes = await rate(async () => { await argon2.hash(password, OWASP); return 0 }, 4)
  const stored = await argon2.hash(password, OWASP)
  const verifies = await rate(async () => { await argon2.verify(stored, password); return 0 }, 4)

  const replica = (i: number): string => `http://127.0.0.1:${profile.apiPorts[i % profile.apiPorts.length]}`
  const activeEmail = `bench.${run}.login@bench.example.com`
  await send(`${base}/register`, 'POST', { email: activeEmail, password })
  // Unactivated accounts answer 403 only after the full password check: the same work as a sign-in.
  const login = await rate(async (i) => await send(`${replica(i)}/login`, 'POST', { email: activeEmail, password }))
  // Last among the password measures: each registration leaves mail work behind (relay, mailer).
  const register = await rate(async (i) => await send(`${replica(i)}/register`, 'POST', { email: `bench.${run}.${i}@bench.example.com`, password }))

  const throughNginx = await rate(async () => await send(`${base}/health`, 'GET'))
  const direct = await rate(async () => await send(`http://127.0.0.1:${profile.apiPorts[0]}/health`, 'GET'))
  const rssAfter = replicaRssMiB()

  const rows: Array<[string, string, string, string]> = [
    ['argon2id hash (in process, 4 threads)', format(hashes.perSecond), '1.00', ''],
    ['POST /register (3 replicas)', format(register.perSecond), (register.perSecond / hashes.perSecond).toFixed(2), statusList(register.statuses)],
    ['argon2id verify (in process, 4 threads)', format(verifies.perSecond), '1.00', ''],
    ['POST /login (3 replicas)', format(login.perSecond), (login.perSecond / verifies.perSecond).toFixed(2), statusList(login.statuses)],
    ['GET /health on one replica (HTTP)', format(direct.perSecond), '1.00', ''],
    ['GET /health via Nginx (TLS, 3 replicas)', format(throughNginx.perSecond), (throughNginx.perSecond / direct.perSecond).toFixed(2), statusList(throughNginx.statuses)]
  ]
  console.log(['what', 'per second', 'ratio', 'statuses'].join(' | '))
  for (const row of rows) console.log(row.join(' | '))
  console.log(`\nreplica memory (RSS, all replicas): ${format(rssBefore)} MiB before, ${format(rssAfter)} MiB after (ratio ${(rssAfter / rssBefore).toFixed(2)})`)
  tlsAgent.destroy()
  plainAgent.destroy()
}

main().catch((err: unknown) => {
  console.error(`bench: ${(err as Error).message} (is the stack up? npm run stack:up)`)
  process.exitCode = 1
})
