// CPU time of the stack's processes, from /proc: utime + stime of every process the stack
// recorded (.stack/<profile>/pids/) and of its descendants (Nginx's workers, RabbitMQ's helpers),
// summed per kind of process (the three replicas together, the three bare servers together).
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import type { Profile } from '../stack/profile.ts'
import { isAlive, readAllRecords } from '../stack/processes.ts'

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100

/** Column titles, in the order printed; a process the bench does not know appears under its own name. */
const KINDS: Record<string, string> = {
  api: 'API ×N',
  mongo: 'mongo-java-server',
  rabbitmq: 'RabbitMQ beam',
  mailer: 'mailer',
  mailhog: 'MailHog',
  nginx: 'Nginx',
  bare: 'bare Fastify ×N'
}

/**
 * Threads whose CPU the bench reports apart, by kind of process and thread name: the replicas'
 * libuv pool runs argon2 (the intended cost, to compare with bare argon2), the JVM's compiler
 * threads are mongo-java-server warming up rather than serving.
 */
export const HASHING_THREADS = 'API hashing threads'
export const JIT_COMPILER_THREADS = 'mongo-java-server JIT compilers'
const THREAD_GROUPS: Record<string, Array<{ group: string, name: RegExp }>> = {
  api: [{ group: HASHING_THREADS, name: /^libuv-worker$/ }],
  mongo: [{ group: JIT_COMPILER_THREADS, name: /^C[12] CompilerThre/ }]
}

export interface CpuSnapshot {
  at: number
  /** Clock ticks so far of every process of the stack, with its kind. */
  processes: Map<number, { kind: string, ticks: number }>
  /** Clock ticks so far of the threads in THREAD_GROUPS, by group. */
  threadGroups: Map<string, number>
  /** This process (the load generator), microseconds. */
  client: NodeJS.CpuUsage
  /** Busy ticks of the whole machine, all cores. */
  machineBusy: number
}

export interface CpuUsage {
  elapsedMs: number
  /** Milliseconds of CPU per kind of process. */
  byKind: Map<string, number>
  clientMs: number
  /** Milliseconds of CPU the rest of the machine (other users, other stacks) used meanwhile. */
  othersMs: number
  /** Milliseconds of CPU of the threads in THREAD_GROUPS, by group (part of byKind). */
  threadGroups: Map<string, number>
}

/** Ticks of a process's threads that belong to a group; threads that exit meanwhile are skipped. */
function addThreadGroups (pid: number, kind: string, groups: Map<string, number>): void {
  const wanted = THREAD_GROUPS[kind]
  if (!wanted) return
  let tids: string[]
  try {
    tids = readdirSync(`/proc/${pid}/task`)
  } catch {
    return
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const group = wanted.find((candidate) => candidate.name.test(name))?.group
      if (!group) continue
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      groups.set(group, (groups.get(group) ?? 0) + Number(fields[11]) + Number(fields[12]))
    } catch {
      // Gone between the listing and the read.
    }
  }
}

/** The kinds of process a profile runs, in print order, with their column titles. */
export function processKinds (profile: Profile): Array<{ kind: string, title: string }> {
  const present = new Set(readAllRecords(profile.paths.pids).map((record) => kindOf(record.name)))
  const replicas = String(profile.apiPorts.length)
  return [...Object.keys(KINDS).filter((kind) => present.has(kind)), ...[...present].filter((kind) => !(kind in KINDS))]
    .map((kind) => ({ kind, title: (KINDS[kind] ?? kind).replace('×N', `×${replicas}`) }))
}

function kindOf (recordName: string): string {
  return recordName.replace(/-\d+$/, '')
}

interface ProcStat { ppid: number, ticks: number }

/** Every process's parent and CPU ticks (utime + stime); processes that exit meanwhile are skipped. */
function readAllProcesses (): Map<number, ProcStat> {
  const all = new Map<number, ProcStat>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      // The fields after the ")" that closes the command name: state is field 3 overall, ppid 4, utime 14, stime 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      all.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) })
    } catch {
      // Gone between the listing and the read.
    }
  }
  return all
}

function withDescendants (root: number, processes: Map<number, ProcStat>): number[] {
  const children = new Map<number, number[]>()
  for (const [pid, { ppid }] of processes) children.set(ppid, [...(children.get(ppid) ?? []), pid])
  const found = [root]
  for (let i = 0; i < found.length; i++) found.push(...(children.get(found[i]!) ?? []))
  return found
}

function machineBusyTicks (): number {
  // cpu  user nice system idle iowait irq softirq steal ...
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/)
  const [user, nice, system, , , irq, softirq, steal] = values.map(Number)
  return [user, nice, system, irq, softirq, steal].reduce<number>((sum, value) => sum + (value ?? 0), 0)
}

export function cpuSnapshot (profile: Profile): CpuSnapshot {
  const processes = readAllProcesses()
  const stack = new Map<number, { kind: string, ticks: number }>()
  const threadGroups = new Map<string, number>()
  for (const record of readAllRecords(profile.paths.pids)) {
    if (!isAlive(record)) continue
    for (const pid of withDescendants(record.pid, processes)) {
      const stat = processes.get(pid)
      if (!stat) continue
      stack.set(pid, { kind: kindOf(record.name), ticks: stat.ticks })
      addThreadGroups(pid, kindOf(record.name), threadGroups)
    }
  }
  return { at: performance.now(), processes: stack, threadGroups, client: process.cpuUsage(), machineBusy: machineBusyTicks() }
}

export function cpuBetween (before: CpuSnapshot, after: CpuSnapshot): CpuUsage {
  const toMs = (ticks: number): number => ticks * 1000 / TICKS_PER_SECOND
  // Per process: one that started meanwhile counts from zero; one that exited meanwhile is lost (short-lived helpers).
  const byKind = new Map<string, number>()
  for (const [pid, { kind, ticks }] of after.processes) {
    byKind.set(kind, (byKind.get(kind) ?? 0) + toMs(ticks - (before.processes.get(pid)?.ticks ?? 0)))
  }
  const clientMs = (after.client.user + after.client.system - before.client.user - before.client.system) / 1000
  const stackMs = [...byKind.values()].reduce((sum, ms) => sum + ms, 0)
  const othersMs = Math.max(0, toMs(after.machineBusy - before.machineBusy) - stackMs - clientMs)
  const threadGroups = new Map([...after.threadGroups].map(([group, ticks]) => [group, toMs(ticks - (before.threadGroups.get(group) ?? 0))]))
  return { elapsedMs: after.at - before.at, byKind, clientMs, othersMs, threadGroups }
}

/** Share of the machine (all cores) that `ms` of CPU took over `elapsedMs`, in percent. */
export function machineShare (ms: number, elapsedMs: number): number {
  return 100 * ms / (elapsedMs * availableParallelism())
}
