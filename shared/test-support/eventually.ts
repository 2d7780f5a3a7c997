import { setTimeout as delay } from 'node:timers/promises'

export interface EventuallyOptions {
  /** What is awaited, for the error when it never comes ("a mail to x@example.com"). */
  what: string
  timeoutMs?: number
  /** The pause between two looks. */
  intervalMs?: number
}

/**
 * Looks again and again until `probe` answers something other than `false`, `undefined` or
 * `null`, and resolves with that answer; rejects once `timeoutMs` has passed without one. An error
 * the probe throws ends the wait at once. The one way tests wait for something to happen.
 */
export async function eventually<T> (probe: () => T | false | undefined | null | Promise<T | false | undefined | null>, { what, timeoutMs = 10_000, intervalMs = 50 }: EventuallyOptions): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const answer = await probe()
    if (answer !== false && answer !== undefined && answer !== null) return answer
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await delay(intervalMs)
  }
}

/** For an assertion on the outcome: true once `check` is, false if it never is in time. */
export async function becomes (check: () => boolean | Promise<boolean>, options: EventuallyOptions): Promise<boolean> {
  return await eventually(check, options).catch(() => false)
}
