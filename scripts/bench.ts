// Measures the bench stack and prints figures side by side, never verdicts:
//
//   STACK_PROFILE=bench npm run stack:up     # once: the bench profile's own stack
//   npm run bench                            # BENCH_SECONDS=10 BENCH_CONCURRENCY=16 by default
//   STACK_PROFILE=bench npm run stack:down
//
// Everything goes through Nginx over TLS, on keep-alive connections from BENCH_CONCURRENCY loops.
// The bench profile is the test profile but for two things: Nginx's per-address rate limit is
// lifted (it would be what is measured), and Nginx also proxies `GET /bare` to bare Fastify
// servers, the yardstick for the API's own routes. Each run empties the bench stack's database.
//
// - Registration and sign-in against the bare argon2 rate of the same cores, measured in a
//   process of its own with the API's parameters: hashing is the intended cost, so the ratio says
//   how much of the machine the rest (TLS, Nginx, Fastify, database, outbox, mail) leaves to it.
//   The yardstick is the build the API runs, the one compiled for this CPU by scripts/install.sh;
//   the package's prebuilt binary (SSE2 only) is measured beside it, never used for the ratios:
//   a slow hash would make everything around it look cheap.
// - `GET /me` with a valid token against `GET /bare`, both through the same Nginx.
// - Sign-in and registration among 100 accounts and among 50,000 (BENCH_ACCOUNTS), seeded
//   directly into the database.
// - CPU per request of every process of the stack, from /proc/<pid>/stat, and replica memory.
// Each ratio is printed from the rates and from CPU time per request; the second barely moves
// when other work shares the machine. The README ("Benchmarks") explains each figure.
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
// First: chooses the argon2 build (as the API does) before the package loads one.
import { argon2Build, argon2PackageDir, portableDir } from '../services/auth-api/src/credentials/argon2-build.ts'
import argon2 from 'argon2'
import { MongoClient, type Db } from 'mongodb'
import { emptyDatabase, seedActiveAccounts, seededEmail } from './bench/accounts.ts'
import { createClient, measure, type Throughput } from './bench/load.ts'
import { BENCH_PASSWORD, OWASP } from './bench/passwords.ts'
import { cpuBetween, cpuSnapshot, HASHING_THREADS, JIT_COMPILER_THREADS, machineShare, processKinds, type CpuUsage } from './bench/process-cpu.ts'
import { loadProfile, REPO_ROOT } from './stack/profile.ts'
import { readRecord } from './stack/processes.ts'
import { hashingThreadsPerReplica, replicaAllocatorEnv, REPLICA_NODE_OPTIONS } from './stack/components/services.ts'
import { stackState } from './stack/runner.ts'

const run = promisify(execFile)

function setting (name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number, got "${process.env[name]}"`)
  return value
}

const SECONDS = setting('BENCH_SECONDS', 10)
const CONCURRENCY = setting('BENCH_CONCURRENCY', 16)
const FEW_ACCOUNTS = 100
const MANY_ACCOUNTS = Math.max(FEW_ACCOUNTS, setting('BENCH_ACCOUNTS', 50_000))
/** How long the stack's CPU is read while no request is in flight. */
const IDLE_SECONDS = Math.min(SECONDS, 5)
/** The JIT compilers (V8's, and the JVM's of mongo-java-server) need this long to reach their steady state. */
const WARM_UP_SECONDS = setting('BENCH_WARMUP_SECONDS', 30)
/** Extra warm-up rounds (login, then register) last this long each, until the JVM's compilers use less than this share of a core. */
const JIT_ROUND_SECONDS = 10
const JIT_SETTLED_SHARE = 0.03
const JIT_WARM_UP_CAP_MS = 180_000
/** The stack counts as settled once all its processes together use less than this much CPU per second. */
const SETTLED_MS_PER_SECOND = 150
const SETTLE_TIMEOUT_MS = 60_000
/** Replica memory is read right after the last measure, and again this much later (the allocator returns what it keeps for reuse). */
const RSS_IDLE_SECONDS = 15
/** How long the mail of the registrations may take to reach MailHog after the measure. */
const DRAIN_TIMEOUT_MS = 120_000

const profile = loadProfile({ ...process.env, STACK_PROFILE: 'bench' })
const base = profile.urls.publicUrl
const cores = availableParallelism()
const client = createClient(CONCURRENCY)

interface Measured {
  name: string
  throughput: Throughput
  cpu: CpuUsage
  /** What the CPU window covered besides the measure itself. */
  note?: string
}

const measures: Measured[] = []
/** The stack's own CPU with no request in flight: the relay's and retention's sweeps, the broker's timers. */
const idle: Array<{ name: string, cpu: CpuUsage }> = []

async function measuredIdle (name: string): Promise<void> {
  const before = cpuSnapshot(profile)
  await sleep(IDLE_SECONDS * 1000)
  idle.push({ name, cpu: cpuBetween(before, cpuSnapshot(profile)) })
}

/** Runs one measure through the stack, with the stack's CPU read around it. */
async function measured (name: string, expected: number, work: (i: number) => Promise<number>, settle?: (throughput: Throughput) => Promise<string>): Promise<Measured> {
  process.stdout.write(`  ${name}…`)
  const before = cpuSnapshot(profile)
  const throughput = await measure(work, { seconds: SECONDS, concurrency: CONCURRENCY, expected })
  const note = settle ? await settle(throughput) : undefined
  const result: Measured = { name, throughput, cpu: cpuBetween(before, cpuSnapshot(profile)), ...(note ? { note } : {}) }
  process.stdout.write(` ${format(throughput.perSecond)}/s\n`)
  measures.push(result)
  return result
}

interface Argon2Rate { perSecond: number, cpuMsPerOp: number }

/** The native build (the API's, this process's) and the package's prebuilt binary, when both are there. */
const hasNativeBuild = argon2Build.build === 'native' && existsSync(join(portableDir(argon2PackageDir()), 'prebuilds'))

/**
 * The bare argon2 rate, in a fresh process whose libuv pool has one thread per operation in
 * flight, with the API's build or (`prebuilt`) the package's prebuilt binary.
 */
async function argon2Rate (operation: 'hash' | 'verify', concurrency: number, build: 'native' | 'prebuilt' = 'native'): Promise<Argon2Rate> {
  process.stdout.write(`  bare argon2id ${operation}, ${concurrency} in flight, ${build === 'native' ? argon2Build.target : 'prebuilt'} build…`)
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'bench', 'argon2-rate.ts'), operation, String(concurrency), String(SECONDS)], {
    cwd: REPO_ROOT,
    // The replicas' allocator too: it decides whether a hash's 19 MiB block is reused or faulted in again.
    env: { ...process.env, ...replicaAllocatorEnv(), UV_THREADPOOL_SIZE: String(concurrency), ...(build === 'prebuilt' ? { ARGON2_PREBUILD: portableDir(argon2PackageDir()) } : {}) }
  })
  const rate = JSON.parse(stdout) as Argon2Rate & { build: string }
  if (rate.build !== build) throw new Error(`bare argon2 ran the ${rate.build} build, not the ${build} one`)
  process.stdout.write(` ${format(rate.perSecond)}/s\n`)
  return rate
}

/** The same operation with the prebuilt binary, when there is a native build to compare it with. */
async function prebuiltRate (operation: 'hash' | 'verify', native: Argon2Rate): Promise<Argon2Rate> {
  return hasNativeBuild ? await argon2Rate(operation, cores, 'prebuilt') : native
}

/** What the first replica logged of its argon2 build when it started (services/auth-api/src/server.ts). */
function replicaArgon2Build (): string {
  try {
    const lines = readFileSync(join(profile.paths.logs, 'api-1.log'), 'utf8').split('\n').filter((line) => line.includes('"argon2":'))
    return (JSON.parse(lines.at(-1) ?? '{}') as { msg?: string }).msg ?? 'not in its log'
  } catch {
    return 'not in its log'
  }
}

async function statusOf (path: string, method: string, body?: object, token?: string): Promise<number> {
  const options = { ...(body ? { body } : {}), ...(token ? { token } : {}) }
  return (await client.send(`${base}${path}`, method, options)).status
}

async function signIn (email: string): Promise<string> {
  const answer = await client.send(`${base}/login`, 'POST', { body: { email, password: BENCH_PASSWORD } })
  if (answer.status !== 200) throw new Error(`signing in ${email} answered ${answer.status}: ${answer.body}`)
  return (JSON.parse(answer.body) as { access_token: string }).access_token
}

const randomBelow = (n: number): number => Math.floor(Math.random() * n)

/** Mails MailHog should hold: one per registration so far (the inbox is emptied at the start). */
let mailsExpected = 0

async function mailCount (): Promise<number> {
  const answer = await client.send(`${profile.urls.inboxApi}/v2/messages?limit=1`, 'GET')
  return (JSON.parse(answer.body) as { total: number }).total
}

const runId = Date.now().toString(36)
let registrationCount = 0

const loginAmong = (accounts: number) => async (): Promise<number> =>
  await statusOf('/login', 'POST', { email: seededEmail(randomBelow(accounts)), password: BENCH_PASSWORD })
const registerNewAddress = async (): Promise<number> =>
  await statusOf('/register', 'POST', { email: `reg-${runId}-${registrationCount++}@bench.example.com`, password: BENCH_PASSWORD })
const bareRoute = async (): Promise<number> => await statusOf('/bare', 'GET')
const meWith = (tokens: string[]) => async (i: number): Promise<number> => await statusOf('/me', 'GET', undefined, tokens[i % tokens.length])

/**
 * Fresh access tokens for `GET /me`, one per connection. Taken right before they are used: the
 * sign-ins measured meanwhile would end their sessions (MAX_SESSIONS_PER_ACCOUNT keeps the newest).
 */
async function freshTokens (): Promise<string[]> {
  return await Promise.all(Array.from({ length: CONCURRENCY }, async (_, i) => await signIn(seededEmail(i % FEW_ACCOUNTS))))
}

/** Registrations of new addresses; the CPU window lasts until their activation mails reach MailHog. */
async function registrations (name: string): Promise<Measured> {
  return await measured(name, 201, registerNewAddress, async (throughput) => await mailDelivered(throughput.ok))
}

/** A fresh stack runs cold (JIT compilers, connection pools): every route runs a few seconds first, not counted. */
async function warmUp (): Promise<void> {
  process.stdout.write(`  warming up, ${WARM_UP_SECONDS} s of each route…`)
  const options = (expected: number) => ({ seconds: WARM_UP_SECONDS, concurrency: CONCURRENCY, expected })
  await measure(loginAmong(FEW_ACCOUNTS), options(200))
  await mailDelivered((await measure(registerNewAddress, options(201))).ok)
  await measure(bareRoute, options(200))
  await measure(meWith(await freshTokens()), options(200))
  // A fresh JVM keeps compiling for a minute or two of load: more rounds of the routes that reach
  // the database, until its compilers rest (or the cap), so that no measure pays for them.
  const started = performance.now()
  for (;;) {
    const before = cpuSnapshot(profile)
    await measure(loginAmong(FEW_ACCOUNTS), { ...options(200), seconds: JIT_ROUND_SECONDS })
    await mailDelivered((await measure(registerNewAddress, { ...options(201), seconds: JIT_ROUND_SECONDS })).ok)
    const round = cpuBetween(before, cpuSnapshot(profile))
    const compiling = (round.threadGroups.get(JIT_COMPILER_THREADS) ?? 0) / round.elapsedMs
    if (compiling < JIT_SETTLED_SHARE || performance.now() - started > JIT_WARM_UP_CAP_MS) {
      process.stdout.write(` done (the stand-in's JIT compilers at ${(100 * compiling).toFixed(1)} % of a core)\n`)
      return
    }
  }
}

/** Waits until MailHog holds the `count` mails of the last registrations too: their work is done once the mail is delivered. */
async function mailDelivered (count: number): Promise<string> {
  mailsExpected += count
  const started = performance.now()
  while (await mailCount() < mailsExpected) {
    if (performance.now() - started > DRAIN_TIMEOUT_MS) return `ended ${DRAIN_TIMEOUT_MS / 1000} s after the measure with ${mailsExpected - await mailCount()} of its ${count} activation mails still undelivered`
    await sleep(100)
  }
  return `includes delivering its ${count} activation mails, done ${((performance.now() - started) / 1000).toFixed(1)} s after the measure`
}

function replicaRssMiB (): number[] {
  return profile.apiPorts.map((_, i) => {
    const record = readRecord(profile.paths.pids, `api-${i + 1}`)
    const rss = record && /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${record.pid}/status`, 'utf8'))
    return Number(rss?.[1] ?? NaN) / 1024
  })
}

async function gitCommit (): Promise<string> {
  try {
    const { stdout } = await run('git', ['log', '-1', '--format=%h %cs %s'], { cwd: REPO_ROOT })
    return stdout.trim()
  } catch {
    return 'unknown'
  }
}

async function seed (db: Db, from: number, to: number, passwordHash: string): Promise<void> {
  process.stdout.write(`  seeding accounts ${from}-${to - 1}…`)
  const started = performance.now()
  await seedActiveAccounts(db, from, to, passwordHash)
  process.stdout.write(` ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
  await settle()
}

/** Waits for the stack to calm down: after a large insert or delete the JVM collects and H2 compacts for a while. */
async function settle (): Promise<void> {
  const started = performance.now()
  for (;;) {
    const before = cpuSnapshot(profile)
    await sleep(1000)
    const busy = sum([...cpuBetween(before, cpuSnapshot(profile)).byKind.values()])
    if (busy < SETTLED_MS_PER_SECOND || performance.now() - started > SETTLE_TIMEOUT_MS) break
  }
  console.log(`  the stack settled in ${((performance.now() - started) / 1000).toFixed(0)} s`)
}

async function main (): Promise<void> {
  if (await stackState(profile) !== 'running') {
    throw new Error('the bench stack is not running (or not healthy): start it with STACK_PROFILE=bench npm run stack:up')
  }
  const loadAtStart = loadavg()
  const rssBefore = replicaRssMiB()
  console.log(`Latchkey bench, ${new Date().toISOString()}, commit ${await gitCommit()}`)
  console.log(`${cores} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}, load average ${loadAtStart.map((n) => n.toFixed(2)).join(' / ')} at the start`)
  console.log(`each measure ${SECONDS} s (BENCH_SECONDS), ${CONCURRENCY} concurrent keep-alive clients (BENCH_CONCURRENCY), through Nginx over TLS at ${base}`)
  console.log(`argon2: the ${argon2Build.build} build (${argon2Build.target}${argon2Build.cflags ? `, ${argon2Build.cflags}` : ''}) here; the first replica logged "${replicaArgon2Build()}"\n`)
  if (!hasNativeBuild) console.log('No argon2 build for this CPU beside the prebuilt one (bash scripts/install.sh makes it): the yardstick is the prebuilt binary.\n')
  if (loadAtStart[0]! > cores + 0.5) console.log(`The machine is busy (load ${loadAtStart[0]!.toFixed(2)} on ${cores} cores): the figures will be low and noisy; see "others" below.\n`)

  const mongo = await MongoClient.connect(profile.urls.mongo)
  try {
    const db = mongo.db()
    process.stdout.write('  emptying the bench database and inbox…')
    await emptyDatabase(db)
    await client.send(`${profile.urls.inboxApi}/v1/messages`, 'DELETE')
    process.stdout.write(' done\n')
    await settle()

    await seed(db, 0, FEW_ACCOUNTS, await argon2.hash(BENCH_PASSWORD, OWASP))
    const passwordHash = (await db.collection('users').findOne({ email: seededEmail(0) }))!.passwordHash as string
    await warmUp()
    await measuredIdle(`idle, ${FEW_ACCOUNTS} accounts`)
    // Each yardstick right before the measure it is compared with, so that both see the same machine.
    const verify = await argon2Rate('verify', cores)
    const prebuiltVerify = await prebuiltRate('verify', verify)
    const loginFew = await measured(`POST /login, ${FEW_ACCOUNTS} accounts`, 200, loginAmong(FEW_ACCOUNTS))
    const hash = await argon2Rate('hash', cores)
    const prebuiltHash = await prebuiltRate('hash', hash)
    const register = await registrations(`POST /register, ${FEW_ACCOUNTS} accounts`)
    const replicaThreads = Number(hashingThreadsPerReplica(profile))
    const oversubscribedHash = await argon2Rate('hash', profile.apiPorts.length * replicaThreads)
    const bare = await measured('GET /bare', 200, bareRoute)
    const me = await measured('GET /me', 200, meWith(await freshTokens()))

    await seed(db, FEW_ACCOUNTS, MANY_ACCOUNTS, passwordHash)
    await measuredIdle(`idle, ${MANY_ACCOUNTS.toLocaleString('en')} accounts`)
    const loginMany = await measured(`POST /login, ${MANY_ACCOUNTS.toLocaleString('en')} accounts`, 200, loginAmong(MANY_ACCOUNTS))
    const registerMany = await registrations(`POST /register, ${MANY_ACCOUNTS.toLocaleString('en')} accounts`)

    const rssAfter = replicaRssMiB()
    await sleep(RSS_IDLE_SECONDS * 1000)
    const rssIdle = replicaRssMiB()
    const loadAtEnd = loadavg()
    console.log()
    const argon2Yardstick = (rate: Argon2Rate): Yardstick => ({ perSecond: rate.perSecond, cpuMs: rate.cpuMsPerOp })
    const many = MANY_ACCOUNTS.toLocaleString('en')
    printRatios([
      { what: `POST /register vs bare argon2id hash (${argon2Build.target})`, measured: register, yardstick: argon2Yardstick(hash), target: '≥ 0.5 (issue 22)' },
      { what: `POST /login (${FEW_ACCOUNTS} accounts) vs bare argon2id verify (${argon2Build.target})`, measured: loginFew, yardstick: argon2Yardstick(verify), target: '≥ 0.75 (issue 22)' },
      { what: 'GET /me vs GET /bare, through the same Nginx', measured: me, yardstick: asYardstick(bare), target: '≥ 0.3' },
      { what: `POST /login among ${many} vs among ${FEW_ACCOUNTS} accounts`, measured: loginMany, yardstick: asYardstick(loginFew), target: 'flat (≈ 1)' },
      { what: `POST /register among ${many} vs among ${FEW_ACCOUNTS} accounts`, measured: registerMany, yardstick: asYardstick(register), target: '(none)' }
    ])
    printMeasures()
    printCpu()
    console.log('\nBare argon2id (OWASP: 19 MiB, t=2, p=1, as the API), each in a fresh Node process with UV_THREADPOOL_SIZE = operations in flight:')
    printYardsticks({ hash, verify }, { hash: prebuiltHash, verify: prebuiltVerify })
    console.log(`  hash ${format(hash.perSecond)}/s with ${cores} in flight (one per core: the yardstick), ${format(oversubscribedHash.perSecond)}/s with ${profile.apiPorts.length * replicaThreads} in flight (as many as the ${profile.apiPorts.length} replicas' ${replicaThreads}-thread pools run at once); verify ${format(verify.perSecond)}/s with ${cores}.`)
    console.log(`  CPU per operation: hash ${hash.cpuMsPerOp.toFixed(1)} ms (${oversubscribedHash.cpuMsPerOp.toFixed(1)} ms with ${profile.apiPorts.length * replicaThreads} in flight), verify ${verify.cpuMsPerOp.toFixed(1)} ms.`)
    console.log(`\nReplica memory (RSS, MiB; NODE_OPTIONS=${process.env.AUTH_NODE_OPTIONS ?? REPLICA_NODE_OPTIONS}, ${replicaAllocatorEnv().LD_PRELOAD ? 'jemalloc' : 'glibc malloc'}): ${rssBefore.map(format).join(' / ')} before, ${rssAfter.map(format).join(' / ')} right after the load, ${rssIdle.map(format).join(' / ')} ${RSS_IDLE_SECONDS} s later (total ${format(sum(rssBefore))} → ${format(sum(rssAfter))} → ${format(sum(rssIdle))}).`)
    console.log(`Load average at the end: ${loadAtEnd.map((n) => n.toFixed(2)).join(' / ')}.`)
  } finally {
    await mongo.close()
  }
}

const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0)
const format = (n: number): string => Number.isNaN(n) ? '-' : n.toFixed(n >= 100 ? 0 : 1)

function table (header: string[], rows: string[][]): void {
  console.log(`| ${header.join(' | ')} |`)
  console.log(`|${header.map(() => ' --- ').join('|')}|`)
  for (const row of rows) console.log(`| ${row.join(' | ')} |`)
}

interface Yardstick { perSecond: number, cpuMs: number }

/** CPU time of the whole stack and of the bench client per answer counted. */
function cpuMsPerRequest ({ throughput, cpu }: Measured): number {
  return (sum([...cpu.byKind.values()]) + cpu.clientMs) / throughput.ok
}

const asYardstick = (measuredRoute: Measured): Yardstick => ({ perSecond: measuredRoute.throughput.perSecond, cpuMs: cpuMsPerRequest(measuredRoute) })

function printRatios (rows: Array<{ what: string, measured: Measured, yardstick: Yardstick, target: string }>): void {
  console.log('Ratios (figures, not verdicts; targets from issues 8 and 22)\n')
  table(['comparison', 'measured /s', 'yardstick /s', 'ratio of rates', 'CPU ms: measured / yardstick', 'ratio of CPU times', 'target'],
    rows.map(({ what, measured: route, yardstick, target }) => {
      const cpuMs = cpuMsPerRequest(route)
      return [what, format(route.throughput.perSecond), format(yardstick.perSecond), (route.throughput.perSecond / yardstick.perSecond).toFixed(2),
        `${cpuMs.toFixed(2)} / ${yardstick.cpuMs.toFixed(2)}`, (yardstick.cpuMs / cpuMs).toFixed(2), target]
    }))
  console.log('\nThe ratio of rates is measured; the ratio of CPU times (the yardstick\'s CPU per operation over the CPU the whole stack and')
  console.log('the bench client spent per answer) is what the rates would give with the cores to ourselves and always busy: it barely')
  console.log('moves when other work shares the machine, so compare it across runs and machines.')
}

/** The two builds side by side: the ratios above take the native one, the API's. */
function printYardsticks (native: Record<'hash' | 'verify', Argon2Rate>, prebuilt: Record<'hash' | 'verify', Argon2Rate>): void {
  if (!hasNativeBuild) {
    console.log('  (the prebuilt binary only: no native build to compare it with)')
    return
  }
  table(['operation, ' + String(cores) + ' in flight', `${argon2Build.target} (the yardstick) /s`, 'prebuilt /s', 'CPU ms per operation: native / prebuilt', 'native / prebuilt'],
    (['hash', 'verify'] as const).map((operation) => [operation, format(native[operation].perSecond), format(prebuilt[operation].perSecond),
      `${native[operation].cpuMsPerOp.toFixed(1)} / ${prebuilt[operation].cpuMsPerOp.toFixed(1)}`, (native[operation].perSecond / prebuilt[operation].perSecond).toFixed(2)]))
}

function printMeasures (): void {
  console.log('\nEvery measure (only answers with the expected status count; 0 = no answer)\n')
  table(['measure', 'answers', 'per second', 'p50 ms', 'p99 ms', 'other statuses'], measures.map(({ name, throughput }) => {
    const others = [...throughput.unexpected].map(([status, count]) => `${status}×${count}`).join(' ') || '-'
    return [name, String(throughput.ok), format(throughput.perSecond), format(throughput.p50), format(throughput.p99), others]
  }))
}

function printCpu (): void {
  const kinds = processKinds(profile)
  console.log('\nCPU per request, ms (utime+stime from /proc/<pid>/stat over the measure, divided by the answers counted)\n')
  table(['measure', ...kinds.map(({ title }) => title), 'bench client', 'total', 'others on the machine'], measures.map(({ name, throughput, cpu }) => {
    const perRequest = (ms: number): string => (ms / throughput.ok).toFixed(2)
    const stack = kinds.map(({ kind }) => cpu.byKind.get(kind) ?? 0)
    return [name, ...stack.map(perRequest), perRequest(cpu.clientMs), perRequest(sum(stack) + cpu.clientMs), `${machineShare(cpu.othersMs, cpu.elapsedMs).toFixed(0)} % of the cores`]
  }))
  for (const { name, note } of measures) if (note) console.log(`${name}: the CPU window ${note}.`)
  console.log('\nInside the replicas and mongo-java-server, ms per request: the hashing threads against bare argon2 (above: their')
  console.log('excess is hashes taking turns on shared cores), the rest of the replicas (Fastify, driver, tokens, logs), and the')
  console.log('stand-in\'s JIT compilers (a JVM still warming up) apart from its serving\n')
  table(['measure', 'API hashing threads', 'API other threads', 'mongo-java-server JIT compilers', 'mongo-java-server other threads'], measures.map(({ name, throughput, cpu }) => {
    const perRequest = (ms: number): string => (ms / throughput.ok).toFixed(2)
    const hashing = cpu.threadGroups.get(HASHING_THREADS) ?? 0
    const compiling = cpu.threadGroups.get(JIT_COMPILER_THREADS) ?? 0
    return [name, perRequest(hashing), perRequest((cpu.byKind.get('api') ?? 0) - hashing), perRequest(compiling), perRequest((cpu.byKind.get('mongo') ?? 0) - compiling)]
  }))
  console.log(`\nCPU with no request in flight, % of one core (${IDLE_SECONDS} s each: outbox relay and retention sweeps, broker timers)\n`)
  table(['when', ...kinds.map(({ title }) => title), 'others on the machine'], idle.map(({ name, cpu }) => {
    const share = (ms: number): string => (100 * ms / cpu.elapsedMs).toFixed(1)
    return [name, ...kinds.map(({ kind }) => share(cpu.byKind.get(kind) ?? 0)), `${machineShare(cpu.othersMs, cpu.elapsedMs).toFixed(0)} % of the cores`]
  }))
}

main().catch((err: unknown) => {
  console.error(`\nbench: ${(err as Error).message}`)
  process.exitCode = 1
}).finally(() => client.close())
