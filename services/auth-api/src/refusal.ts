import { errorCatalog, statusOf, type ErrorCode } from '@latchkey/shared'

/** What a refusal may tell the client besides its code; each becomes a field of the error body. */
export interface RefusalDetails {
  /** The request field at fault. */
  field?: string
  attempts_left?: number
  /** Also sent as Retry-After. */
  retry_after_seconds?: number
}

/**
 * A request refused for a reason the API documents. Domain code throws these; the HTTP edge
 * (http/errors.ts) turns them into answers, taking the status from the error catalog.
 */
export class Refusal extends Error {
  constructor (readonly code: ErrorCode, readonly details: RefusalDetails = {}, message: string = errorCatalog[code].message) {
    super(message)
  }

  /** Read by plugins that look at an error's status (@fastify/basic-auth only challenges a 401). */
  get statusCode (): number {
    return statusOf(this.code)
  }
}

/** A refusal that says when to come back: whole seconds, at least 1. */
export function refusedUntil (code: ErrorCode, retryAt: Date, now: Date, message?: (seconds: number) => string, details: RefusalDetails = {}): Refusal {
  const seconds = Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / 1000))
  return new Refusal(code, { ...details, retry_after_seconds: seconds }, message?.(seconds))
}
