import { codeDeliveryEventTypes, createEvent, noticeEventTypes, traceparentFromRequestId, type CloudEvent, type EventType } from '@latchkey/shared'
import type { UpdateFilter } from 'mongodb'
import type { AccountDocument, OutboxEntry } from '../accounts/account.js'

/** CloudEvents `source` of everything auth-api publishes. */
export const EVENT_SOURCE = '/latchkey/auth-api'

/** Who caused an event: their request id correlates logs and events, and is the trace id. */
export interface RequestContext {
  requestId: string
  traceparent: string
}

/** Events the mailer turns into mail: each must reach its queue, or stay in the outbox until one exists. */
const mustReachAQueue = new Set<string>([...codeDeliveryEventTypes, ...noticeEventTypes])

export function accountEvent<T> (type: EventType, accountId: string, data: T, context: RequestContext): CloudEvent<T> {
  return createEvent(type, EVENT_SOURCE, data, accountId, context.traceparent)
}

/** Outbox timing is about live processes (leases, retries), so it follows the wall clock, never the application's. */
export function outboxEntry (event: CloudEvent, context: RequestContext): OutboxEntry {
  return {
    type: event.type,
    body: JSON.stringify(event),
    correlationId: context.requestId,
    traceparent: context.traceparent,
    createdAt: new Date(event.time),
    mandatory: mustReachAQueue.has(event.type)
  }
}

/**
 * The update that adds an event to an account's outbox, in the same write as the change it
 * announces (MongoDB writes one document atomically; no transaction is needed). `$min` makes the
 * outbox due now without touching a relay's lease.
 */
export function appendToOutbox (event: CloudEvent, context: RequestContext): UpdateFilter<AccountDocument> {
  return { $set: { [`outbox.${event.id}`]: outboxEntry(event, context) }, $min: { outboxDueAt: new Date() } }
}

/** The events a request writes carry its id and a W3C trace context whose trace id is that id. */
export function requestContext (request: { id: string }): RequestContext {
  return { requestId: request.id, traceparent: traceparentFromRequestId(request.id) }
}
