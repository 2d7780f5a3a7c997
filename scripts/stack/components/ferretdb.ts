// FerretDB with its SQLite handler: a MongoDB wire-protocol server with no database server behind it.
import { existsSync, mkdirSync } from 'node:fs'
import { MongoClient } from 'mongodb'
import { canConnect, waitUntil } from '../health.ts'
import type { Profile } from '../profile.ts'
import { startProcess, stopProcess, type Component } from './component.ts'

const NAME = 'ferretdb'

async function answersPing (url: string): Promise<boolean> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 2_000, connectTimeoutMS: 2_000 })
  try {
    await client.db('admin').command({ ping: 1 })
    return true
  } catch {
    return false
  } finally {
    await client.close().catch(() => undefined)
  }
}

async function isHealthy (profile: Profile): Promise<boolean> {
  return (await canConnect(profile.ports.MONGO_PORT)) && (await answersPing(profile.urls.mongo))
}

async function start (profile: Profile): Promise<void> {
  const { paths, ports } = profile
  if (!existsSync(paths.ferretdbBinary)) {
    throw new Error(`FerretDB is not built (${paths.ferretdbBinary} is missing): run bash scripts/install.sh`)
  }
  mkdirSync(paths.ferretdbData, { recursive: true })
  mkdirSync(paths.ferretdbState, { recursive: true })
  const record = startProcess(profile, NAME, paths.ferretdbBinary, [
    '--handler=sqlite',
    // FerretDB insists on an existing directory written with a trailing slash.
    `--sqlite-url=file:${paths.ferretdbData}/`,
    `--listen-addr=127.0.0.1:${ports.MONGO_PORT}`,
    `--state-dir=${paths.ferretdbState}`,
    '--debug-addr=-',
    '--telemetry=disable',
    // At warn, FerretDB dumps every "endSessions" that the Node driver sends on close (unsupported, harmless).
    '--log-level=error',
  ])
  await waitUntil(() => isHealthy(profile), { what: 'FerretDB', timeoutMs: 30_000, process: record })
}

async function stop (profile: Profile): Promise<void> {
  await stopProcess(profile, NAME)
}

export const ferretdb: Component = { name: NAME, start, stop, isHealthy }
