// MailHog: an SMTP server that keeps every mail it receives in memory, with a web inbox and
// a JSON API (v1 and v2) on one HTTP port. Settings come from mailhog.env (MH_*, shared with
// Docker Compose); addresses and storage are the profile's own.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseEnv } from 'node:util'
import { answersOk, waitUntil } from '../health.ts'
import { REPO_ROOT, type Profile } from '../profile.ts'
import { baseEnv, startProcess, stopProcess, type Component } from './component.ts'

const NAME = 'mailhog'
const SETTINGS_FILE = join(REPO_ROOT, 'mailhog.env')

/** The MH_* lines of mailhog.env. */
function sharedSettings (): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(parseEnv(readFileSync(SETTINGS_FILE, 'utf8'))).filter(([key]) => key.startsWith('MH_')))
}

function mailhogEnv (profile: Profile): NodeJS.ProcessEnv {
  const { ports } = profile
  return {
    ...baseEnv(),
    ...sharedSettings(),
    MH_SMTP_BIND_ADDR: `127.0.0.1:${ports.SMTP_PORT}`,
    MH_API_BIND_ADDR: `127.0.0.1:${ports.INBOX_PORT}`,
    MH_UI_BIND_ADDR: `127.0.0.1:${ports.INBOX_PORT}`,
    MH_STORAGE: 'memory',
  }
}

function healthUrl (profile: Profile): string {
  return `${profile.urls.inboxApi}/v2/messages?limit=1`
}

async function isHealthy (profile: Profile): Promise<boolean> {
  return answersOk(healthUrl(profile))
}

async function start (profile: Profile): Promise<void> {
  const binary = profile.paths.mailhogBinary
  if (!existsSync(binary)) throw new Error(`MailHog is not built (${binary} is missing): run bash scripts/install.sh`)
  const record = startProcess(profile, NAME, binary, [], mailhogEnv(profile))
  await waitUntil(() => isHealthy(profile), { what: 'MailHog', timeoutMs: 30_000, process: record })
}

async function stop (profile: Profile): Promise<void> {
  await stopProcess(profile, NAME)
}

export const mailhog: Component = { name: NAME, start, stop, isHealthy }
