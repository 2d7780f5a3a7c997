import t from 'tap'
import { randomUUID } from 'node:crypto'
import { EventTypes, formatTraceparent, newSpanId } from '@latchkey/shared'
import { eventually, sampleValue, scrapeMetrics } from '@latchkey/shared/test-support'
import { buildTestApp, codeEvent, logCollector, publish, publishEvent, uniqueRecipient, waitForMail } from './helper.js'

t.test('after one event the metrics endpoint shows what happened to it', async (t) => {
  const { app, config, servers } = await buildTestApp(t)
  const to = uniqueRecipient('metrics')
  // Issued 2 s ago, as if the outbox had been slow: the latency histogram must say so.
  const event = { ...codeEvent(EventTypes.userRegistered, to), time: new Date(Date.now() - 2000).toISOString() }

  await publishEvent(config, event)
  await waitForMail(servers.inboxApi, to)
  await eventually(() => app.mailEvents.stats.sent === 1, { timeoutMs: 5000, what: 'the delivery to be counted' })
  await app.inject({ method: 'GET', url: '/health' })

  const samples = await scrapeMetrics(app.metrics.url)
  const value = (name: string, labels: Record<string, string> = {}): number | undefined => sampleValue(samples, name, { service: 'mailer', ...labels })
  t.equal(value('mailer_messages_received_total'), 1)
  t.equal(value('mailer_deliveries_total', { result: 'sent' }), 1)
  t.equal(value('mailer_deliveries_total', { result: 'already-sent' }), undefined, 'no other result yet')
  t.equal(value('mailer_smtp_send_duration_seconds_count', { outcome: 'accepted' }), 1)
  t.ok(value('mailer_smtp_send_duration_seconds_sum', { outcome: 'accepted' })! > 0)
  t.equal(value('mailer_code_mail_latency_seconds_count'), 1)
  t.equal(value('mailer_code_mail_latency_seconds_bucket', { le: '1' }), 0, 'not under a second: the event is 2 s old')
  t.equal(value('mailer_code_mail_latency_seconds_bucket', { le: '5' }), 1)
  t.ok(value('mailer_code_mail_latency_seconds_sum')! >= 2)
  t.equal(value('mailer_consumer_connected'), 1)
  t.equal(value('mailer_retries_total', { cause: 'smtp-failure' }), undefined)
  t.equal(value('http_requests_total', { method: 'GET', route: '/health', status: '200' }), 1)
  t.ok(value('process_resident_memory_bytes')! > 0, 'process metrics too')

  // A copy of the same event and a message that is no event at all.
  await publishEvent(config, event)
  await publish(config, EventTypes.userRegistered, 'not json', randomUUID())
  await eventually(() => app.mailEvents.stats.alreadySent === 1 && app.mailEvents.stats.deadLettered === 1, { timeoutMs: 10_000, what: 'the copy and the poison message' })
  const after = await scrapeMetrics(app.metrics.url)
  t.equal(sampleValue(after, 'mailer_messages_received_total'), 3)
  t.equal(sampleValue(after, 'mailer_deliveries_total', { result: 'already-sent' }), 1)
  t.equal(sampleValue(after, 'mailer_deliveries_total', { result: 'sent' }), 1)
  t.equal(sampleValue(after, 'mailer_dead_letters_total', { cause: 'invalid-message' }), 1)
})

t.test('every log line about a message carries its trace id, from the AMQP header or else the event', async (t) => {
  const logs = logCollector()
  const { config, servers } = await buildTestApp(t, { LOG_LEVEL: 'info' }, { logStream: logs.stream })
  const headerTrace = formatTraceparent({ traceId: randomUUID().replaceAll('-', ''), parentId: newSpanId(), sampled: true })
  const attributeTrace = formatTraceparent({ traceId: randomUUID().replaceAll('-', ''), parentId: newSpanId(), sampled: true })
  const onlyAttributeTrace = formatTraceparent({ traceId: randomUUID().replaceAll('-', ''), parentId: newSpanId(), sampled: true })

  const both = { ...codeEvent(EventTypes.userRegistered, uniqueRecipient('trace-header')), traceparent: attributeTrace }
  const attributeOnly = { ...codeEvent(EventTypes.userRegistered, uniqueRecipient('trace-attribute')), traceparent: onlyAttributeTrace }
  const poison = { ...codeEvent(EventTypes.userDeleted, 'x@y.example'), traceparent: onlyAttributeTrace }
  await publishEvent(config, both, { traceparent: headerTrace })
  await publishEvent(config, attributeOnly)
  await publish(config, EventTypes.userRegistered, poison, poison.id, { traceparent: headerTrace })
  await waitForMail(servers.inboxApi, both.data.email)
  await waitForMail(servers.inboxApi, attributeOnly.data.email)
  await eventually(() => logs.lines.some((line) => line.eventId === poison.id), { timeoutMs: 5000, what: 'the poison message to be logged' })

  const linesAbout = (eventId: string): Array<Record<string, unknown>> => logs.lines.filter((line) => line.eventId === eventId)
  t.ok(linesAbout(both.id).length > 0)
  t.same(new Set(linesAbout(both.id).map((line) => line.traceId)), new Set([headerTrace.split('-')[1]]), 'the AMQP header wins')
  t.ok(linesAbout(attributeOnly.id).length > 0)
  t.same(new Set(linesAbout(attributeOnly.id).map((line) => line.traceId)), new Set([onlyAttributeTrace.split('-')[1]]), 'else the CloudEvent attribute')
  t.same(linesAbout(poison.id).map((line) => line.traceId), [headerTrace.split('-')[1]], 'a message that is not mailed is traced too')
  t.match(linesAbout(both.id).find((line) => line.msg === 'mail sent'), { type: EventTypes.userRegistered, attempt: 1 })
})
