// Per-profile secrets: generated once, kept in .stack/<profile>/secrets.env (mode 600).
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { parseEnv } from 'node:util'
import type { Profile } from './profile.ts'

export interface Secrets {
  CODE_SECRET: string;
}

function generate (): Secrets {
  return { CODE_SECRET: randomBytes(32).toString('hex') }
}

function readSecretsFile (file: string): Partial<Secrets> {
  if (!existsSync(file)) return {}
  return parseEnv(readFileSync(file, 'utf8'))
}

/** Secrets from the environment win; otherwise the stored ones, generated on first use. */
export function loadSecrets (profile: Profile): Secrets {
  const file = profile.paths.secretsFile
  let stored = readSecretsFile(file)
  if (!stored.CODE_SECRET) {
    stored = generate()
    writeFileSync(file, `CODE_SECRET=${stored.CODE_SECRET}\n`, { mode: 0o600 })
    chmodSync(file, 0o600)
  }
  return { CODE_SECRET: process.env.CODE_SECRET || stored.CODE_SECRET! }
}
