import { randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'
import { MongoClient } from 'mongodb'
import { Type } from 'typebox'
import { loadConfig } from '@latchkey/shared'
import { isDeliverableAddress, normalizeEmail } from '@latchkey/shared'
import { newAccount, UsersRepository, type Role } from '../accounts/users.js'
import { assertAcceptablePassword, createPasswordHasher } from '../credentials/passwords.js'
import { ApiError } from '../http/errors.js'
import { nextSession } from '../sessions/sessions.js'

const usage = `Creates an administrator, or makes an existing account one (like Django's createsuperuser).

  npm run create-admin -- --email admin@example.com [--password '…']

--password (or ADMIN_PASSWORD) is needed only to create a new account. MONGO_URL selects the
database (default: the one \`npm start\` runs).`

const CliConfig = Type.Object({
  MONGO_URL: Type.String({ default: 'mongodb://127.0.0.1:27017/latchkey', pattern: '^mongodb(\\+srv)?://' }),
  ADMIN_PASSWORD: Type.String({ default: '' })
})

async function main (): Promise<string> {
  const { values } = parseArgs({ options: { email: { type: 'string' }, password: { type: 'string' }, help: { type: 'boolean' } } })
  if (values.help || !values.email) return usage
  const config = loadConfig(CliConfig)
  const email = normalizeEmail(values.email)
  if (!isDeliverableAddress(email)) throw new Error(`${values.email} does not look like an email address`)
  const password = values.password ?? config.ADMIN_PASSWORD

  const client = new MongoClient(config.MONGO_URL, { serverSelectionTimeoutMS: 5000 })
  await client.connect()
  try {
    const users = new UsersRepository(client.db(), { resendIntervalSeconds: 30, mailsPerDay: 10 })
    await users.ensureIndexes()
    const passwordHash = password ? await hashAcceptable(password) : undefined
    return await users.withAccount(email, async (existing) => {
      const now = new Date()
      if (existing) {
        const roles: Role[] = existing.roles.includes('admin') ? existing.roles : [...existing.roles, 'admin']
        await users.update(existing, {
          $set: {
            roles,
            ...(existing.status === 'pending' ? { status: 'active', activatedAt: now, activationCode: null } : {}),
            // A new password ends every session signed in with the old one.
            ...(passwordHash ? { passwordHash, ...nextSession(existing) } : {})
          }
        }, now)
        return `${email} is an administrator${existing.status === 'disabled' ? ' (the account is still disabled)' : ''}.`
      }
      if (!passwordHash) throw new Error('no account has this address: give --password to create it')
      const inserted = await users.insert(newAccount({
        id: randomUUID(),
        email,
        passwordHash,
        status: 'active',
        roles: ['user', 'admin'],
        activatedAt: now,
        codeMail: { day: '', sentToday: 0, nextAllowedAt: now }
      }, now))
      if (!inserted) throw new Error('the address was taken meanwhile; run the command again')
      return `Created the administrator ${email}.`
    })
  } finally {
    await client.close()
  }
}

async function hashAcceptable (password: string): Promise<string> {
  try {
    assertAcceptablePassword(password)
  } catch (err) {
    throw new Error(err instanceof ApiError ? err.message : String(err))
  }
  return await (await createPasswordHasher()).hash(password)
}

main().then((message) => {
  console.log(message)
}, (err: unknown) => {
  console.error(`create-admin: ${(err as Error).message}`)
  process.exitCode = 1
})
