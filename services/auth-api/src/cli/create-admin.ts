import { parseArgs } from 'node:util'
import { MongoClient } from 'mongodb'
import { Type } from 'typebox'
import { isDeliverableAddress, loadConfig, normalizeEmail } from '@latchkey/shared'
import { activeAccount, type AccountDocument, type Role } from '../accounts/account.js'
import { AccountStore } from '../accounts/accounts-store.js'
import { assertAcceptablePassword, createPasswordHasher } from '../credentials/passwords.js'
import { Refusal } from '../refusal.js'

const usage = `Creates an administrator, or makes an existing account one (like Django's createsuperuser).

  npm run create-admin -- --email admin@example.com [--password '…']

--password (or ADMIN_PASSWORD) is needed only to create a new account; given for an existing one,
it replaces its password and ends its sessions. MONGO_URL selects the database (default: the one
\`npm start\` runs).`

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
    const accounts = new AccountStore(client.db())
    await accounts.ensureIndexes()
    const passwordHash = password ? await hashAcceptable(password) : undefined
    const now = new Date()
    const existing = await accounts.byEmail(email)
    if (existing) return await promote(accounts, existing, passwordHash, now)
    if (!passwordHash) throw new Error('no account has this address: give --password to create it')
    const created = await accounts.insert(activeAccount(email, passwordHash, ['user', 'admin'], now))
    if (!created) throw new Error('the address was taken meanwhile; run the command again')
    return `Created the administrator ${email}.`
  } finally {
    await client.close()
  }
}

/** The operator vouches for the account: it becomes an active administrator. */
async function promote (accounts: AccountStore, account: AccountDocument, passwordHash: string | undefined, now: Date): Promise<string> {
  const roles: Role[] = account.roles.includes('admin') ? account.roles : [...account.roles, 'admin']
  const promoted = await accounts.update(account._id, { status: account.status }, {
    $set: {
      roles,
      ...(account.status === 'pending' ? { status: 'active', activatedAt: now } : {}),
      // A new password ends every session signed in with the old one.
      ...(passwordHash ? { passwordHash, sessions: {} } : {})
    },
    ...(account.status === 'pending' ? { $unset: { 'codes.activation': '', purgeAt: '' } } : {})
  }, now)
  if (!promoted) throw new Error('the account changed meanwhile; run the command again')
  return `${account.email} is an administrator${account.status === 'disabled' ? ' (the account is still disabled)' : ''}.`
}

async function hashAcceptable (password: string): Promise<string> {
  try {
    assertAcceptablePassword(password)
  } catch (err) {
    throw new Error(err instanceof Refusal ? err.message : String(err))
  }
  return await (await createPasswordHasher()).hash(password)
}

main().then((message) => {
  console.log(message)
}, (err: unknown) => {
  console.error(`create-admin: ${(err as Error).message}`)
  process.exitCode = 1
})
