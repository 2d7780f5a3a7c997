// The bench profile's bare Fastify servers (scripts/bench/bare-fastify.ts), which Nginx proxies
// `GET /bare` to: what `npm run bench` compares the API's routes with.
import { join } from 'node:path'
import { answersOk, waitUntil } from '../health.ts'
import { REPO_ROOT, type Profile } from '../profile.ts'
import { baseEnv, startProcess, stopProcess, type Component } from './component.ts'

const SERVER = join(REPO_ROOT, 'scripts', 'bench', 'bare-fastify.ts')

function portOf (profile: Profile, index: number): number {
  const port = profile.bench?.barePorts[index]
  if (port === undefined) throw new Error(`the "${profile.name}" profile has no bare Fastify server ${index + 1}`)
  return port
}

export function bareFastify (index: number): Component {
  const name = `bare-${index + 1}`
  const isHealthy = (profile: Profile) => answersOk(`http://127.0.0.1:${portOf(profile, index)}/bare`)
  return {
    name,
    isHealthy,
    async start (profile) {
      const env = { ...baseEnv(), PORT: String(portOf(profile, index)) }
      // `--import tsx` is found from the working directory, .stack/<profile>/, in the repository's node_modules.
      const record = startProcess(profile, name, process.execPath, ['--import', 'tsx', SERVER], env)
      await waitUntil(() => isHealthy(profile), { what: name, timeoutMs: 30_000, process: record })
    },
    async stop (profile) {
      await stopProcess(profile, name)
    },
  }
}
