// maildev: an SMTP server that keeps every mail it receives, with a web inbox and a REST API.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { answersOk, waitUntil } from '../health.ts'
import { REPO_ROOT, type Profile } from '../profile.ts'
import { startProcess, stopProcess, type Component } from './component.ts'

const NAME = 'maildev'

function maildevBin (): string {
  const packageJson = join(REPO_ROOT, 'node_modules', 'maildev', 'package.json')
  const { bin } = JSON.parse(readFileSync(packageJson, 'utf8')) as { bin: string | Record<string, string> }
  const relative = typeof bin === 'string' ? bin : bin.maildev
  if (!relative) throw new Error(`no "maildev" bin in ${packageJson}`)
  return join(dirname(packageJson), relative)
}

function healthUrl (profile: Profile): string {
  return `${profile.urls.inboxApi}/healthz`
}

async function isHealthy (profile: Profile): Promise<boolean> {
  return answersOk(healthUrl(profile))
}

async function start (profile: Profile): Promise<void> {
  const { ports } = profile
  const record = startProcess(profile, NAME, process.execPath, [
    maildevBin(),
    '--smtp', String(ports.SMTP_PORT),
    '--web', String(ports.INBOX_PORT),
    '--ip', '127.0.0.1',
    '--web-ip', '127.0.0.1',
  ])
  await waitUntil(() => isHealthy(profile), { what: 'maildev', timeoutMs: 30_000, process: record })
}

async function stop (profile: Profile): Promise<void> {
  await stopProcess(profile, NAME)
}

export const maildev: Component = { name: NAME, start, stop, isHealthy }
