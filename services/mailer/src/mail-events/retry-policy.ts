import type { MessagePropertyHeaders } from 'amqplib'

/** The header that counts how many attempts a message has already failed. */
export const attemptHeader = 'x-latchkey-attempt'

export interface RetryPolicy {
  maxAttempts: number
  baseDelayMs: number
  maxDelayMs: number
}

/** 1 for a fresh message; the header carries the number of the attempt that failed last. */
export function currentAttempt (headers: MessagePropertyHeaders | undefined): number {
  const failed = Number(headers?.[attemptHeader] ?? 0)
  return Number.isInteger(failed) && failed > 0 ? failed + 1 : 1
}

/** Exponential backoff: base, 2·base, 4·base … capped, after the given failed attempt. */
export function retryDelayMs (failedAttempt: number, policy: RetryPolicy): number {
  return Math.min(policy.baseDelayMs * 2 ** (failedAttempt - 1), policy.maxDelayMs)
}
