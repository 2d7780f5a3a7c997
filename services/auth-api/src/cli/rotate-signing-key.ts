import { parseArgs } from 'node:util'
import { Type } from 'typebox'
import { loadConfig } from '@latchkey/shared'
import { SigningKeys } from '../sessions/signing-keys.js'

const usage = `Adds a new Ed25519 signing key to JWT_KEYS_DIR. Replicas sign with it once they load it
(at most a minute later, at once for tokens carrying its kid); the previous key stays in the JWKS
until the tokens it signed have expired.

  npm run rotate-signing-key            # the keys directory of \`npm start\`
  JWT_KEYS_DIR=/path npm run rotate-signing-key`

const CliConfig = Type.Object({
  JWT_KEYS_DIR: Type.String({ default: '.stack/dev/jwt-keys', minLength: 1 }),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ default: 900, minimum: 30 })
})

async function main (): Promise<string> {
  const { values } = parseArgs({ options: { help: { type: 'boolean' } } })
  if (values.help) return usage
  const config = loadConfig(CliConfig)
  const keys = await SigningKeys.fromDirectory(config.JWT_KEYS_DIR, config.ACCESS_TOKEN_TTL_SECONDS, new Date())
  const added = await keys.rotate(new Date())
  return `New signing key ${added.kid} in ${config.JWT_KEYS_DIR}.`
}

main().then((message) => {
  console.log(message)
}, (err: unknown) => {
  console.error(`rotate-signing-key: ${(err as Error).message}`)
  process.exitCode = 1
})
