// The code-mail quota as arithmetic: which mail is allowed, the guarded write that takes it, and
// when a refused one may come back. No app, no database.
import t from 'tap'
import type { MailQuota } from '../src/accounts/account.js'
import { firstQuota, takeCodeMail, utcDay, type MailLimits, type MailRequest, type MailTaken } from '../src/codes/mail-quota.js'
import { Refusal } from '../src/refusal.js'

const limits: MailLimits = { intervalSeconds: 60, perDay: 5, perNetworkPerDay: 3 }
const now = new Date('2026-12-04T12:00:00.000Z')
const request = (overrides: Partial<MailRequest> = {}): MailRequest => ({ purpose: 'activation', now, enforceCooldown: true, ...overrides })
const quota = (overrides: Partial<MailQuota> = {}): MailQuota => ({ day: '2026-12-04', sent: 1, nextAllowedAt: new Date(now.getTime() - 1000), networks: {}, ...overrides })

function taken (result: MailTaken | Refusal): MailTaken {
  if (result instanceof Refusal) throw new Error(`refused: ${result.code}`)
  return result
}

function refused (result: MailTaken | Refusal): Refusal {
  if (!(result instanceof Refusal)) throw new Error('expected a refusal')
  return result
}

t.test('a day is the UTC calendar day', async (t) => {
  t.equal(utcDay(new Date('2026-12-04T23:59:59.999Z')), '2026-12-04')
  t.equal(utcDay(new Date('2026-12-05T00:00:00.000Z')), '2026-12-05')
  t.equal(utcDay(new Date('2026-12-04T23:30:00.000-02:00')), '2026-12-05', 'whatever the offset it was written with')
})

t.test('the first mail starts a quota of one, counted for the asking network', async (t) => {
  t.same(firstQuota(request({ network: 'v4-203-0-113' }), limits), { day: '2026-12-04', sent: 1, nextAllowedAt: new Date('2026-12-04T12:01:00.000Z'), networks: { 'v4-203-0-113': 1 } })
  t.same(firstQuota(request(), limits).networks, {}, 'an authenticated request counts for no network')

  const first = taken(takeCodeMail(undefined, request({ network: 'v4-203-0-113' }), limits))
  t.same(first.guard, { 'mailQuota.activation': { $exists: false } }, 'only while the account still has no quota of that purpose')
  t.same(first.update, { $set: { 'mailQuota.activation': firstQuota(request({ network: 'v4-203-0-113' }), limits) } })
  t.same(first.nextAllowedAt, new Date('2026-12-04T12:01:00.000Z'))
  t.same(taken(takeCodeMail(undefined, request({ purpose: 'password-reset' }), limits)).guard, { 'mailQuota.password-reset': { $exists: false } }, 'each purpose has its own quota')
})

t.test('a resend waits out the interval; a registration does not', async (t) => {
  const waiting = quota({ nextAllowedAt: new Date(now.getTime() + 41_500) })
  const tooSoon = refused(takeCodeMail(waiting, request(), limits))
  t.equal(tooSoon.code, 'RESEND_TOO_SOON')
  t.equal(tooSoon.details.retry_after_seconds, 42, 'whole seconds, rounded up')
  t.match(tooSoon.message, /Wait 42 s/)

  const atTheMoment = taken(takeCodeMail(quota({ nextAllowedAt: now }), request(), limits))
  t.same(atTheMoment.guard['mailQuota.activation.nextAllowedAt'], { $lte: now }, 'allowed at the moment itself, and only while that still holds')

  const registration = taken(takeCodeMail(waiting, request({ enforceCooldown: false }), limits))
  t.notOk('mailQuota.activation.nextAllowedAt' in registration.guard, 'no cooldown in the guard either')
  t.same(registration.update.$inc, { 'mailQuota.activation.sent': 1 })
})

t.test('later mails of the day take one from the day and from the network, under a guard that keeps parallel requests within the limits', async (t) => {
  const next = taken(takeCodeMail(quota({ sent: 2, networks: { 'v4-203-0-113': 2 } }), request({ network: 'v4-203-0-113' }), limits))
  t.same(next.guard, {
    'mailQuota.activation.day': '2026-12-04',
    'mailQuota.activation.sent': { $lt: 5 },
    'mailQuota.activation.networks.v4-203-0-113': { $not: { $gte: 3 } },
    'mailQuota.activation.nextAllowedAt': { $lte: now }
  })
  t.same(next.update, {
    $set: { 'mailQuota.activation.nextAllowedAt': new Date('2026-12-04T12:01:00.000Z') },
    $inc: { 'mailQuota.activation.sent': 1, 'mailQuota.activation.networks.v4-203-0-113': 1 }
  })
  const authenticated = taken(takeCodeMail(quota({ sent: 4 }), request(), limits))
  t.same(authenticated.update.$inc, { 'mailQuota.activation.sent': 1 }, 'no network counted without one')
  t.notOk(Object.keys(authenticated.guard).some((field) => field.includes('networks')))
})

t.test('the daily limit and the per-network share refuse until the next UTC midnight', async (t) => {
  const full = refused(takeCodeMail(quota({ sent: 5 }), request(), limits))
  t.equal(full.code, 'CODE_MAIL_LIMIT')
  t.equal(full.details.retry_after_seconds, 12 * 3600, 'noon to midnight')
  t.match(full.message, /Try again tomorrow/)

  const busyNetwork = quota({ sent: 3, networks: { 'v4-203-0-113': 3 } })
  t.equal(refused(takeCodeMail(busyNetwork, request({ network: 'v4-203-0-113' }), limits)).code, 'CODE_MAIL_LIMIT', 'one network spent its share')
  t.notOk(takeCodeMail(busyNetwork, request({ network: 'v4-198-51-100' }), limits) instanceof Refusal, 'another network still gets the rest of the day')
  t.notOk(takeCodeMail(busyNetwork, request(), limits) instanceof Refusal, 'and so does the owner, signed in')

  const lateFull = refused(takeCodeMail(quota({ sent: 5 }), request({ now: new Date('2026-12-04T23:59:59.400Z') }), limits))
  t.equal(lateFull.details.retry_after_seconds, 1, 'never less than one second')
})

t.test('a new day starts the quota afresh, guarded by the day it replaces', async (t) => {
  const yesterday = quota({ day: '2026-12-03', sent: 5, networks: { 'v4-203-0-113': 3 } })
  const fresh = taken(takeCodeMail(yesterday, request({ network: 'v4-203-0-113' }), limits))
  t.same(fresh.guard, { 'mailQuota.activation.day': '2026-12-03', 'mailQuota.activation.nextAllowedAt': { $lte: now } })
  t.same(fresh.update, { $set: { 'mailQuota.activation': firstQuota(request({ network: 'v4-203-0-113' }), limits) } })
  const stillCooling = quota({ day: '2026-12-03', nextAllowedAt: new Date(now.getTime() + 5000) })
  t.equal(refused(takeCodeMail(stillCooling, request(), limits)).code, 'RESEND_TOO_SOON', 'the interval holds across midnight')
})
