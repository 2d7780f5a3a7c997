// mongo-java-server: an embedded MongoDB stand-in on the JVM, keeping its data in one H2 file
// under .stack/<profile>/mongo, so the data of `npm start` survives a restart.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { MongoClient } from 'mongodb'
import { canConnect, waitUntil } from '../health.ts'
import { MONGO_SERVER_SOURCES, type Profile } from '../profile.ts'
import { startProcess, stopProcess, type Component } from './component.ts'

const NAME = 'mongo'
const LAUNCHER = 'MongoServerLauncher'
const JVM_OPTIONS = [
  // Bounded: the stand-in shares a small machine with everything else.
  '-Xmx512m',
  // One collector thread is plenty for this heap, and leaves the cores to the services.
  '-XX:+UseSerialGC',
  '-XX:+ExitOnOutOfMemoryError',
  // A client that drops its connection (every test process that exits) is otherwise logged
  // with a full stack trace; the server closes that connection either way.
  '-Dorg.slf4j.simpleLogger.log.de.bwaldvogel.mongo.wire.MongoExceptionHandler=off',
]

/** The hash install.sh writes beside the build, so a changed pom.xml or launcher asks for a rebuild. */
function sourcesHash (): string {
  const hash = createHash('sha256')
  // The same files, in the same order, as install.sh's `pom.xml *.java`.
  const javaSources = readdirSync(MONGO_SERVER_SOURCES).filter((file) => file.endsWith('.java')).sort()
  for (const file of ['pom.xml', ...javaSources]) hash.update(readFileSync(join(MONGO_SERVER_SOURCES, file)))
  return hash.digest('hex')
}

function assertInstalled (profile: Profile): void {
  const dir = profile.paths.mongoServer
  const stamp = join(dir, 'sources.sha256')
  if (!existsSync(stamp)) throw new Error(`mongo-java-server is not installed (${dir} is missing): run bash scripts/install.sh`)
  if (readFileSync(stamp, 'utf8').trim() !== sourcesHash()) {
    throw new Error(`${dir} was built from another scripts/mongo-server/: run bash scripts/install.sh`)
  }
}

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
  assertInstalled(profile)
  const { paths, ports } = profile
  mkdirSync(paths.mongoData, { recursive: true })
  const classPath = `${join(paths.mongoServer, 'classes')}:${join(paths.mongoServer, 'lib', '*')}`
  const record = startProcess(profile, NAME, 'java', [
    ...JVM_OPTIONS,
    '-cp', classPath,
    LAUNCHER,
    String(ports.MONGO_PORT),
    join(paths.mongoData, 'latchkey.mv.db'),
  ])
  await waitUntil(() => isHealthy(profile), { what: 'mongo-java-server', timeoutMs: 30_000, process: record })
}

async function stop (profile: Profile): Promise<void> {
  // SIGTERM runs the launcher's shutdown hook, which closes the H2 file cleanly.
  await stopProcess(profile, NAME)
}

export const mongo: Component = { name: NAME, start, stop, isHealthy }
