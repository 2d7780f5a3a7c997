import { randomUUID } from 'node:crypto'
import { EventTypes, isDeliverableAddress, normalizeEmail } from '@latchkey/shared'
import type { AccountDocument } from '../accounts/account.js'
import { untilSettled, type AccountStore } from '../accounts/accounts-store.js'
import type { CodeFailures } from '../codes/code-failures.js'
import { issueCode, type CodeIssueDeps } from '../codes/issue-code.js'
import { firstQuota } from '../codes/mail-quota.js'
import { assertAcceptablePassword, type PasswordHasher } from '../credentials/passwords.js'
import type { OutboxRelay } from '../events/outbox-relay.js'
import { accountEvent, outboxEntry, type RequestContext } from '../events/outbox.js'
import { Refusal } from '../refusal.js'

export interface Registration {
  created: boolean
  account: AccountDocument
}

/** The pending account went away between reading and writing it (retention removed it): start over. */
class AccountVanished extends Error {}

function assertStillPending (account: AccountDocument | null): asserts account is AccountDocument {
  if (!account || account.status === 'deleted') throw new AccountVanished()
  if (account.status !== 'pending') throw new Refusal('EMAIL_TAKEN')
}

/** What registering needs. */
export interface RegistrationDeps extends CodeIssueDeps {
  accounts: Pick<AccountStore, 'insert' | 'byEmail' | 'settle'>
  passwords: Pick<PasswordHasher, 'hash'>
  codeFailures: Pick<CodeFailures, 'assertOpen'>
  pendingRetentionMs: number
  outbox: Pick<OutboxRelay, 'leaseForNewAccount'>
}

/**
 * Creates a pending account, or gives a pending one a new password and a fresh code (the last
 * registration wins). Either way the account and its `user.registered` event are one
 * single-document write, so the event cannot be lost between the database and the broker.
 */
export async function registerAccount (app: RegistrationDeps, rawEmail: string, password: string, request: { context: RequestContext, network: string }): Promise<Registration> {
  const email = normalizeEmail(rawEmail)
  if (!isDeliverableAddress(email)) throw new Refusal('EMAIL_INVALID', { field: 'email' })
  assertAcceptablePassword(password)
  // An address whose activation codes have had their day's wrong tries gets no new code, not even a first one.
  const [passwordHash] = await Promise.all([app.passwords.hash(password), app.codeFailures.assertOpen('activation', email, app.clock())])
  const { context, network } = request

  return await untilSettled(async () => {
    const now = app.clock()
    const created = await createPendingAccount(app, { email, passwordHash, context, network, now })
    if (created) return { created: true, account: created }
    const existing = await app.accounts.byEmail(email)
    if (!existing) return undefined
    try {
      const account = await issueCode(app, existing, {
        purpose: 'activation', eventType: EventTypes.userRegistered, context, enforceCooldown: false, network
      }, assertStillPending, { $set: { passwordHash, purgeAt: new Date(now.getTime() + app.pendingRetentionMs) } })
      return { created: false, account }
    } catch (err) {
      if (err instanceof AccountVanished) return undefined
      throw err
    }
  })
}

interface NewAccount {
  email: string
  passwordHash: string
  context: RequestContext
  network: string
  now: Date
}

/** Inserts a new pending account with its first event; null when the address is taken. */
async function createPendingAccount (app: RegistrationDeps, { email, passwordHash, context, network, now }: NewAccount): Promise<AccountDocument | null> {
  const id = randomUUID()
  const { code, stored } = app.codes.issue('activation', id, now)
  const event = accountEvent(EventTypes.userRegistered, id, { userId: id, email, code, codeExpiresAt: stored.expiresAt.toISOString() }, context)
  const account: AccountDocument = {
    _id: id,
    email,
    passwordHash,
    status: 'pending',
    roles: ['user'],
    createdAt: now,
    updatedAt: now,
    activatedAt: null,
    codes: { activation: stored },
    mailQuota: { activation: firstQuota({ purpose: 'activation', now, enforceCooldown: false, network }, app.mailLimits) },
    sessions: {},
    outbox: { [event.id]: outboxEntry(event, context) },
    outboxDueAt: new Date(),
    ...app.outbox.leaseForNewAccount(),
    purgeAt: new Date(now.getTime() + app.pendingRetentionMs)
  }
  return await app.accounts.insert(account) ? account : null
}
