import type { CodePurpose } from '@latchkey/shared'
import type { Filter, UpdateFilter } from 'mongodb'
import type { AccountDocument, MailQuota } from '../accounts/account.js'
import { refusedUntil, type Refusal } from '../refusal.js'

export interface MailLimits {
  /** Seconds between two code mails of one purpose to one account. */
  intervalSeconds: number
  perDay: number
  /** Of `perDay`, how many unauthenticated requests from one network may trigger. */
  perNetworkPerDay: number
}

export interface MailRequest {
  purpose: CodePurpose
  now: Date
  /** An explicit resend waits out the cooldown; a registration, which replaces the password, does not. */
  enforceCooldown: boolean
  /** The requester's network when the request proves nothing (registration, forgotten password). */
  network?: string
}

/** Quota fields that take one mail, and the filter under which that holds. */
export interface MailTaken {
  guard: Filter<AccountDocument>
  update: Required<Pick<UpdateFilter<AccountDocument>, '$set'>> & Pick<UpdateFilter<AccountDocument>, '$inc'>
  nextAllowedAt: Date
}

export function utcDay (now: Date): string {
  return now.toISOString().slice(0, 10)
}

function startOfNextUtcDay (now: Date): Date {
  return new Date(`${utcDay(new Date(now.getTime() + 86_400_000))}T00:00:00.000Z`)
}

/** The quota of an account's very first code mail. */
export function firstQuota (request: MailRequest, limits: MailLimits): MailQuota {
  return {
    day: utcDay(request.now),
    sent: 1,
    nextAllowedAt: new Date(request.now.getTime() + limits.intervalSeconds * 1000),
    networks: request.network ? { [request.network]: 1 } : {}
  }
}

/**
 * Whether one more code mail of this purpose may go to the account now. Allowed: the fields that
 * take it, guarded so that parallel requests cannot take more than the limits between them.
 */
export function takeCodeMail (quota: MailQuota | undefined, request: MailRequest, limits: MailLimits): MailTaken | Refusal {
  const { purpose, now, enforceCooldown, network } = request
  const path = `mailQuota.${purpose}`
  const nextAllowedAt = new Date(now.getTime() + limits.intervalSeconds * 1000)
  const cooldownGuard = enforceCooldown && quota ? { [`${path}.nextAllowedAt`]: { $lte: now } } : {}

  if (enforceCooldown && quota && quota.nextAllowedAt > now) {
    return refusedUntil('RESEND_TOO_SOON', quota.nextAllowedAt, now, (seconds) => `Wait ${seconds} s before asking for another code.`)
  }
  if (quota?.day !== utcDay(now)) {
    return {
      guard: { ...(quota ? { [`${path}.day`]: quota.day } : { [path]: { $exists: false } }), ...cooldownGuard },
      update: { $set: { [path]: firstQuota(request, limits) } },
      nextAllowedAt
    }
  }
  const networkCount = network ? quota.networks[network] ?? 0 : 0
  if (quota.sent >= limits.perDay || networkCount >= limits.perNetworkPerDay) {
    return refusedUntil('CODE_MAIL_LIMIT', startOfNextUtcDay(now), now, () => 'Too many codes were sent to this address today. Try again tomorrow.')
  }
  return {
    guard: {
      [`${path}.day`]: quota.day,
      [`${path}.sent`]: { $lt: limits.perDay },
      ...(network ? { [`${path}.networks.${network}`]: { $not: { $gte: limits.perNetworkPerDay } } } : {}),
      ...cooldownGuard
    },
    update: {
      $set: { [`${path}.nextAllowedAt`]: nextAllowedAt },
      $inc: { [`${path}.sent`]: 1, ...(network ? { [`${path}.networks.${network}`]: 1 } : {}) }
    },
    nextAllowedAt
  }
}
