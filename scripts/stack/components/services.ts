// Latchkey's own Node services: the auth-api replicas and the mailer.
import { existsSync, mkdirSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { answersOk, waitUntil } from '../health.ts'
import { REPO_ROOT, type Profile } from '../profile.ts'
import { loadSecrets } from '../secrets.ts'
import { baseEnv, startProcess, stopProcess, type Component } from './component.ts'

const MAIL_FROM = 'Latchkey <no-reply@latchkey.local>'
const START_TIMEOUT_MS = 60_000

function entryPoint (service: string): string {
  const file = join(REPO_ROOT, 'services', service, 'dist', 'server.js')
  if (!existsSync(file)) throw new Error(`${file} is missing: run bash scripts/install.sh (it builds the services)`)
  return file
}

function logLevel (): string {
  return process.env.LOG_LEVEL || 'info'
}

/**
 * AUTH_<NAME> set by the user reaches every replica as <NAME> (AUTH_CODE_LENGTH=6 → CODE_LENGTH=6):
 * the prefix keeps the replicas' settings apart from the stack's own variables.
 */
function authPassThrough (): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env)
    .filter(([key]) => key.startsWith('AUTH_'))
    .map(([key, value]) => [key.slice('AUTH_'.length), value]))
}

export function replicaName (index: number): string {
  return `api-${index + 1}`
}

/**
 * Password hashing runs on libuv's thread pool (4 threads by default). The replicas share this
 * machine's cores, so together they get about as many hashing threads as there are cores: more
 * would only make the hashes take turns on them. AUTH_UV_THREADPOOL_SIZE, set by the user, wins.
 */
export function hashingThreadsPerReplica (profile: Profile): string {
  return String(Math.max(1, Math.round(availableParallelism() / profile.apiPorts.length)))
}

/**
 * V8's young generation, capped: by default its semi-spaces grow to 32 MiB each under load (64 MiB
 * of new space per replica), while what survives a request is a few hundred KiB; 4 MiB
 * semi-spaces cost no measurable CPU per request. AUTH_NODE_OPTIONS, set by the user, wins.
 */
export const REPLICA_NODE_OPTIONS = '--max-semi-space-size=4'

/** Debian's libjemalloc2 (scripts/install.sh installs it), for this machine's architecture. */
const JEMALLOC = `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu/libjemalloc.so.2`

/**
 * The replicas' allocator: jemalloc when installed, glibc's malloc otherwise. Each argon2 hash
 * mallocs 19 MiB on a hashing thread. glibc keeps that block in the thread's arena, which keeps
 * hashing fast (handing it back to the kernel after every hash doubles a hash's CPU: the next one
 * faults 19 MiB back in), but the first such free also raises glibc's trim threshold to 38 MiB for
 * every arena, so the main thread's arena then holds up to that much freed memory for good.
 * jemalloc keeps freed memory for a while (`dirty_decay_ms`, 1 s here) before its background
 * thread returns it (at once: `muzzy_decay_ms:0`, no MADV_FREE pages lingering in the RSS), so a
 * replica under load keeps reusing its block and an idle one gives it back; `oversize_threshold:0`
 * keeps the block in the ordinary arenas, where that decay applies (jemalloc's arena for
 * allocations over 8 MiB returns them at once: a hash then costs twice the CPU). The README
 * ("Benchmarks") has the before and after.
 */
export const REPLICA_MALLOC_CONF = 'oversize_threshold:0,background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0'

export function replicaAllocatorEnv (): NodeJS.ProcessEnv {
  return existsSync(JEMALLOC) ? { LD_PRELOAD: JEMALLOC, MALLOC_CONF: REPLICA_MALLOC_CONF } : {}
}

function apiEnv (profile: Profile, index: number): NodeJS.ProcessEnv {
  mkdirSync(profile.paths.jwtKeys, { recursive: true })
  const base = baseEnv()
  return {
    ...base,
    NODE_OPTIONS: [base.NODE_OPTIONS, REPLICA_NODE_OPTIONS].filter(Boolean).join(' '),
    ...replicaAllocatorEnv(),
    UV_THREADPOOL_SIZE: hashingThreadsPerReplica(profile),
    ...authPassThrough(),
    HOST: '127.0.0.1',
    PORT: String(profile.apiPorts[index]),
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: String(profile.apiMetricsPorts[index]),
    REPLICA_ID: replicaName(index),
    MONGO_URL: profile.urls.mongo,
    AMQP_URL: profile.urls.amqp,
    CODE_SECRET: loadSecrets(profile).CODE_SECRET,
    JWT_KEYS_DIR: profile.paths.jwtKeys,
    PUBLIC_URL: profile.urls.publicUrl,
    INBOX_URL: profile.urls.inbox,
    TRUST_PROXY: '127.0.0.1',
    LOG_LEVEL: logLevel(),
  }
}

function mailerEnv (profile: Profile): NodeJS.ProcessEnv {
  return {
    ...baseEnv(),
    HOST: '127.0.0.1',
    PORT: String(profile.ports.MAILER_PORT),
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: String(profile.mailerMetricsPort),
    MONGO_URL: profile.urls.mongo,
    AMQP_URL: profile.urls.amqp,
    SMTP_URL: profile.urls.smtp,
    MAIL_FROM: process.env.MAIL_FROM || MAIL_FROM,
    LOG_LEVEL: logLevel(),
  }
}

function nodeService (name: string, healthUrl: (profile: Profile) => string, launch: (profile: Profile) => ReturnType<typeof startProcess>): Component {
  const isHealthy = (profile: Profile) => answersOk(healthUrl(profile))
  return {
    name,
    isHealthy,
    async start (profile) {
      const record = launch(profile)
      await waitUntil(() => isHealthy(profile), { what: name, timeoutMs: START_TIMEOUT_MS, process: record })
    },
    async stop (profile) {
      await stopProcess(profile, name)
    },
  }
}

export function apiReplica (index: number): Component {
  const name = replicaName(index)
  return nodeService(
    name,
    (profile) => `http://127.0.0.1:${profile.apiPorts[index]}/health`,
    (profile) => startProcess(profile, name, process.execPath, [entryPoint('auth-api')], apiEnv(profile, index))
  )
}

export const mailer: Component = nodeService(
  'mailer',
  (profile) => `${profile.urls.mailer}/health`,
  (profile) => startProcess(profile, 'mailer', process.execPath, [entryPoint('mailer')], mailerEnv(profile))
)
