import t from 'tap'
import { eventually, samplesOfSeries, scrapeMetrics, type MetricSample } from '../shared/test-support/index.ts'
import { call } from './support/https.ts'
import { readCodeFromInbox } from './support/inbox.ts'
import { baseUrl, inboxApi, stackEnv, uniqueEmail } from './support/stack-env.ts'

/** The sum of a series over every exposition it appears in (one per process), for samples with all these labels. */
function total (expositions: MetricSample[][], name: string, labels: Record<string, string> = {}): number {
  return samplesOfSeries(expositions.flat(), name, labels).reduce((sum, sample) => sum + sample.value, 0)
}

async function scrape (ports: number[]): Promise<MetricSample[][]> {
  return await Promise.all(ports.map(async (port) => await scrapeMetrics(`http://127.0.0.1:${port}/metrics`)))
}

t.test('every service serves Prometheus metrics on its own port, and one registration shows up end to end', async (t) => {
  const apiMetrics = stackEnv('API_METRICS_PORTS').split(',').map(Number)
  const mailerMetrics = [Number(stackEnv('MAILER_METRICS_PORT'))]
  const [apiBefore, mailerBefore] = [await scrape(apiMetrics), await scrape(mailerMetrics)]

  const email = uniqueEmail('metrics')
  t.equal((await call(`${baseUrl()}/register`, { method: 'POST', json: { email, password: 'metrics-password' } })).status, 201)
  await readCodeFromInbox(inboxApi(), email)
  const grew = (before: MetricSample[][], after: MetricSample[][], name: string, labels: Record<string, string> = {}): number => total(after, name, labels) - total(before, name, labels)
  // The mail is in the inbox a moment before the mailer records it as sent.
  const mailerAfter = await eventually(async () => {
    const after = await scrape(mailerMetrics)
    return grew(mailerBefore, after, 'mailer_deliveries_total', { result: 'sent' }) >= 1 && after
  }, { timeoutMs: 5000, intervalMs: 100, what: 'the mailer to count the mail as sent' }).catch(async () => await scrape(mailerMetrics))
  const apiAfter = await scrape(apiMetrics)

  t.equal(grew(apiBefore, apiAfter, 'http_requests_total', { route: '/register', status: '201' }), 1, 'the request, by route and status')
  t.equal(grew(apiBefore, apiAfter, 'auth_password_hash_seconds_count', { operation: 'hash' }), 1, 'the argon2 time of its password')
  t.equal(grew(apiBefore, apiAfter, 'auth_outbox_published_total', { type: 'user.registered' }), 1, 'the broker confirmed its event')
  t.ok(apiAfter.every((samples) => samples.some((sample) => sample.name === 'auth_outbox_pending_accounts')), 'every replica reports the outbox backlog')
  t.equal(grew(mailerBefore, mailerAfter, 'mailer_deliveries_total', { result: 'sent' }), 1, 'the mailer sent the code mail')
  t.equal(grew(mailerBefore, mailerAfter, 'mailer_code_mail_latency_seconds_count'), 1, 'and timed it from the event to SMTP')

  const throughNginx = await call(`${baseUrl()}/metrics`)
  t.equal(throughNginx.status, 404, 'Nginx does not expose them')
})
