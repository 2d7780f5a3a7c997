import { randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'
import { MongoClient, type UpdateFilter } from 'mongodb'
import { Type } from 'typebox'
import { isDeliverableAddress, loadConfig, normalizeEmail } from '@latchkey/shared'
import { activeAccount, type AccountDocument, type Role } from '../accounts/account.js'
import { AccountStore } from '../accounts/accounts-store.js'
import { assertAcceptablePassword, createPasswordHasher } from '../credentials/passwords.js'
import { setPassword } from '../credentials/set-password.js'
import { requestContext, type RequestContext } from '../events/outbox.js'
import { Refusal } from '../refusal.js'

const usage = `Creates an administrator, or makes an existing account one (like Django's createsuperuser).

  npm run create-admin -- --email admin@example.com [--password '…']

--password (or ADMIN_PASSWORD) is needed to create a new account, and to promote one that was
never activated (whoever registered it last chose its password). Given for an existing account,
it replaces its password, ends its sessions and publishes user.password_changed, so the owner is
mailed a notice. MONGO_URL selects the database (default: the one \`npm start\` runs).`

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

/**
 * The operator vouches for the account: it becomes an active administrator. A pending account's
 * password was chosen by whoever registered the address last (anyone can), so it is promoted only
 * with a password of the operator's. A new password goes through setPassword, like any other.
 */
async function promote (accounts: AccountStore, account: AccountDocument, passwordHash: string | undefined, now: Date): Promise<string> {
  const roles: Role[] = account.roles.includes('admin') ? account.roles : [...account.roles, 'admin']
  const pending = account.status === 'pending'
  if (pending && !passwordHash) throw new Error(`${account.email} was never activated: give --password to promote it (its current password is whoever registered it last's)`)
  const alongside: UpdateFilter<AccountDocument> = {
    $set: { roles, ...(pending ? { status: 'active' as const, activatedAt: now } : {}) },
    ...(pending ? { $unset: { 'codes.activation': '', purgeAt: '' as const } } : {})
  }
  const promoted = passwordHash
    ? await setPassword({ accounts, clock: () => now }, account, { passwordHash, how: 'operator', expected: { status: account.status }, alongside, context: operatorContext() })
    : await accounts.updateAndGet(account._id, { status: account.status }, alongside, now)
  if (!promoted) throw new Error('the account changed meanwhile; run the command again')
  return `${account.email} is an administrator${account.status === 'disabled' ? ' (the account is still disabled)' : ''}${passwordHash ? '; its password was replaced and its sessions ended' : ''}.`
}

/** Events written by the command carry an id of their own, as a request's would. */
function operatorContext (): RequestContext {
  return requestContext({ id: `create-admin-${randomUUID()}` })
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
