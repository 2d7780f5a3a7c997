import { createHash, randomBytes } from 'node:crypto'

/** The parts of a W3C Trace Context `traceparent` header (https://www.w3.org/TR/trace-context/). */
export interface TraceParent {
  /** 32 lower-case hex characters, not all zero. */
  traceId: string
  /** The caller's span: 16 lower-case hex characters, not all zero. */
  parentId: string
  sampled: boolean
}

// Version 00 is exactly these four fields; a later version may append more after a dash.
const traceparentPattern = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/
const allZeros = /^0+$/

/**
 * Reads a `traceparent` header value; undefined when it is not a valid one, as the spec asks
 * (a receiver then starts a new trace rather than guessing).
 */
export function parseTraceparent (value: unknown): TraceParent | undefined {
  const text = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('latin1') : undefined
  const match = traceparentPattern.exec(text?.trim() ?? '')
  if (match === null) return undefined
  const [, version, traceId, parentId, flags, rest] = match
  // The pattern's first four groups always take part in a match; only `rest` is optional.
  if (version === undefined || traceId === undefined || parentId === undefined || flags === undefined) return undefined
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined
  if (allZeros.test(traceId) || allZeros.test(parentId)) return undefined
  return { traceId, parentId, sampled: (Number.parseInt(flags, 16) & 1) === 1 }
}

export function formatTraceparent ({ traceId, parentId, sampled }: TraceParent): string {
  return `00-${traceId}-${parentId}-${sampled ? '01' : '00'}`
}

/** A fresh span id: 8 random bytes, never all zero. */
export function newSpanId (): string {
  for (;;) {
    const id = randomBytes(8).toString('hex')
    if (!allZeros.test(id)) return id
  }
}

/**
 * The trace id of a request is its request id (Nginx's `$request_id` is 32 hex characters; a
 * UUID without its dashes is too). Any other request id (e.g. Fastify's `req-1` when a service
 * is called directly) is hashed, so one request id always gives the same trace id.
 */
export function traceIdFromRequestId (requestId: string): string {
  const compact = requestId.replaceAll('-', '').toLowerCase()
  if (/^[0-9a-f]{32}$/.test(compact) && !allZeros.test(compact)) return compact
  return createHash('sha256').update(requestId).digest('hex').slice(0, 32)
}

/** The `traceparent` an event caused by this request carries: sampled, with a new span id. */
export function traceparentFromRequestId (requestId: string, spanId: string = newSpanId()): string {
  return formatTraceparent({ traceId: traceIdFromRequestId(requestId), parentId: spanId, sampled: true })
}
