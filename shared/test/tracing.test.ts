import t from 'tap'
import { randomUUID } from 'node:crypto'
import { formatTraceparent, newSpanId, parseTraceparent, traceIdFromRequestId, traceparentFromRequestId } from '../src/tracing.js'

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
const parentId = '00f067aa0ba902b7'

t.test('parseTraceparent reads valid headers', async (t) => {
  t.same(parseTraceparent(`00-${traceId}-${parentId}-01`), { traceId, parentId, sampled: true })
  t.same(parseTraceparent(`00-${traceId}-${parentId}-00`), { traceId, parentId, sampled: false })
  t.same(parseTraceparent(Buffer.from(`00-${traceId}-${parentId}-01`)), { traceId, parentId, sampled: true }, 'AMQP may hand headers over as bytes')
  t.same(parseTraceparent(`01-${traceId}-${parentId}-03-future-field`), { traceId, parentId, sampled: true }, 'a later version may add fields')
})

t.test('parseTraceparent refuses what the spec refuses', async (t) => {
  const invalid = [
    undefined,
    42,
    '',
    `00-${traceId}-${parentId}`,
    `00-${traceId.toUpperCase()}-${parentId}-01`,
    `00-${'0'.repeat(32)}-${parentId}-01`,
    `00-${traceId}-${'0'.repeat(16)}-01`,
    `ff-${traceId}-${parentId}-01`,
    `00-${traceId}-${parentId}-01-extra`,
    `00-${traceId.slice(1)}-${parentId}-01`,
    `00_${traceId}_${parentId}_01`
  ]
  for (const value of invalid) t.equal(parseTraceparent(value), undefined, JSON.stringify(value))
})

t.test('formatTraceparent writes version 00 and round-trips', async (t) => {
  const header = formatTraceparent({ traceId, parentId, sampled: true })
  t.equal(header, `00-${traceId}-${parentId}-01`)
  t.same(parseTraceparent(header), { traceId, parentId, sampled: true })
  t.equal(formatTraceparent({ traceId, parentId, sampled: false }).slice(-3), '-00')
})

t.test('the trace id is the request id', async (t) => {
  const nginxRequestId = 'a3f0c2d4e5b6a7980112233445566778'
  t.equal(traceIdFromRequestId(nginxRequestId), nginxRequestId, 'Nginx $request_id as is')
  t.equal(traceIdFromRequestId(nginxRequestId.toUpperCase()), nginxRequestId, 'lower-cased')
  const uuid = randomUUID()
  t.equal(traceIdFromRequestId(uuid), uuid.replaceAll('-', ''), 'a UUID without its dashes')

  const hashed = traceIdFromRequestId('req-1')
  t.match(hashed, /^[0-9a-f]{32}$/, 'other request ids are hashed into a valid trace id')
  t.equal(traceIdFromRequestId('req-1'), hashed, 'deterministically')
  t.not(traceIdFromRequestId('req-2'), hashed)
  t.match(traceIdFromRequestId('0'.repeat(32)), /^(?!0+$)[0-9a-f]{32}$/, 'an all-zero id is not a valid trace id, so it is hashed too')
})

t.test('traceparentFromRequestId gives a valid, sampled traceparent', async (t) => {
  const requestId = 'a3f0c2d4e5b6a7980112233445566778'
  const header = traceparentFromRequestId(requestId, parentId)
  t.equal(header, `00-${requestId}-${parentId}-01`)
  const fresh = parseTraceparent(traceparentFromRequestId(requestId))
  t.equal(fresh?.traceId, requestId)
  t.match(fresh?.parentId, /^[0-9a-f]{16}$/)
  t.not(newSpanId(), newSpanId(), 'span ids are random')
})
