import { randomBytes, randomUUID } from 'node:crypto'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type Socket } from 'node:net'
import { PassThrough, type Writable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import amqplib from 'amqplib'
import { MongoClient } from 'mongodb'
import { createEvent, EventTypes, loadConfig, type CodeDeliveryData, type CloudEvent, type EventType, type PasswordChangeHow, type PasswordChangedData } from '@latchkey/shared'
import app from '../src/app.js'
import { MailerConfigSchema, type MailerConfig } from '../src/config.js'

interface Teardown { teardown: (fn: () => unknown) => void }

/** The real servers the tests talk to. Missing ones fail the run: a skipped test proves nothing. */
export interface TestServers {
  mongoUrl: string
  amqpUrl: string
  smtpUrl: string
  inboxApi: string
}

export function testServers (): TestServers {
  const names = ['MONGO_URL', 'AMQP_URL', 'SMTP_URL', 'INBOX_API'] as const
  const missing = names.filter((name) => !process.env[name])
  if (missing.length > 0) {
    throw new Error(`mailer tests need real servers; set ${missing.join(', ')} ` +
      '(e.g. `set -a && . /path/to/latchkey/.stack/test/env && set +a`)')
  }
  return {
    mongoUrl: process.env.MONGO_URL!,
    amqpUrl: process.env.AMQP_URL!,
    smtpUrl: process.env.SMTP_URL!,
    inboxApi: process.env.INBOX_API!.replace(/\/$/, '')
  }
}

export type ConfigOverrides = Partial<Record<keyof MailerConfig, string>>

export interface TestEnvironment {
  /** The mailer's environment: for the app built in-process, or a spawned mailer. */
  env: Record<string, string>
  config: MailerConfig
  servers: TestServers
  /** Deletes the exchange, queues and database the environment used. */
  cleanup: () => Promise<void>
}

/** A mailer configuration on names nobody else uses: its own exchange, queues and database. */
export function testEnvironment (overrides: ConfigOverrides = {}): TestEnvironment {
  const servers = testServers()
  const id = randomBytes(5).toString('hex')
  const mongoUrl = new URL(servers.mongoUrl)
  mongoUrl.pathname = `/mailer_test_${id}`
  const env = {
    MONGO_URL: mongoUrl.toString(),
    AMQP_URL: servers.amqpUrl,
    SMTP_URL: servers.smtpUrl,
    EVENTS_EXCHANGE: `test.${id}.events`,
    MAIL_QUEUE: `test.${id}.mailer`,
    RETRY_BASE_DELAY_MS: '200',
    RETRY_MAX_DELAY_MS: '2000',
    METRICS_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...overrides
  }
  const config = loadConfig(MailerConfigSchema, env)
  const cleanup = async (): Promise<void> => {
    await removeTopology(config)
    await dropDatabase(config.MONGO_URL)
  }
  return { env, config, servers, cleanup }
}

export interface TestApp {
  app: FastifyInstance
  config: MailerConfig
  servers: TestServers
}

/** Builds the real mailer in-process, waits until it consumes, and removes everything it used when the test ends. */
export async function buildTestApp (t: Teardown, overrides: ConfigOverrides = {}, options: { logStream?: Writable } = {}): Promise<TestApp> {
  const { config, servers, cleanup } = testEnvironment(overrides)
  const fastify = Fastify({ logger: { level: config.LOG_LEVEL, ...(options.logStream === undefined ? {} : { stream: options.logStream }) } })
  // fastify-plugin around the app exposes its decorators (stats, delivery log) to the test.
  await fastify.register(fp(app), config)
  await fastify.ready()
  t.teardown(async () => {
    await fastify.close()
    await cleanup()
  })
  await waitFor(() => fastify.inboxEvents.connected, { timeoutMs: 20_000, what: 'the mailer to consume' })
  return { app: fastify, config, servers }
}

async function removeTopology (config: MailerConfig): Promise<void> {
  const connection = await amqplib.connect(config.AMQP_URL)
  try {
    const channel = await connection.createChannel()
    const queue = config.MAIL_QUEUE
    for (const name of [queue, `${queue}.retry`, `${queue}.dead`]) await channel.deleteQueue(name)
    for (const name of [config.EVENTS_EXCHANGE, `${queue}.dlx`]) await channel.deleteExchange(name)
  } finally {
    await connection.close()
  }
}

async function dropDatabase (mongoUrl: string): Promise<void> {
  const client = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 3000 })
  try {
    await client.db().dropDatabase()
  } finally {
    await client.close()
  }
}

/** A recipient address no other test (or run) uses, so the shared inbox can be filtered by it. */
export function uniqueRecipient (label: string): string {
  return `${label}-${randomBytes(4).toString('hex')}@mailer-test.example`
}

export function codeEvent (type: EventType, email: string, options: { code?: string, expiresInMs?: number } = {}): CloudEvent<CodeDeliveryData> {
  return createEvent<CodeDeliveryData>(type, '/test/auth-api', {
    userId: randomUUID(),
    email,
    code: options.code ?? String(1000 + Math.floor(Math.random() * 9000)),
    codeExpiresAt: new Date(Date.now() + (options.expiresInMs ?? 60_000)).toISOString()
  })
}

/** A `user.password_changed` event as auth-api publishes it, which asks for a notice to the owner. */
export function passwordChangedEvent (email: string, how: PasswordChangeHow = 'changed'): CloudEvent<PasswordChangedData> {
  return createEvent<PasswordChangedData>(EventTypes.passwordChanged, '/test/auth-api', { userId: randomUUID(), email, sessionIds: [randomUUID()], how })
}

/** Publishes like auth-api does, and fails if no queue took the message. */
export async function publish (config: MailerConfig, routingKey: string, body: string | object, messageId: string, headers: Record<string, string> = {}): Promise<void> {
  const connection = await amqplib.connect(config.AMQP_URL)
  try {
    const channel = await connection.createConfirmChannel()
    let returned = false
    channel.on('return', () => { returned = true })
    channel.publish(config.EVENTS_EXCHANGE, routingKey, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), {
      persistent: true,
      mandatory: true,
      messageId,
      correlationId: `test-${messageId}`,
      contentType: 'application/cloudevents+json',
      headers
    })
    await channel.waitForConfirms()
    // A basic.return arrives before the confirm of the same message.
    if (returned) throw new Error(`message ${messageId} was unroutable (routing key ${routingKey})`)
  } finally {
    await connection.close()
  }
}

export async function publishEvent (config: MailerConfig, event: CloudEvent, headers: Record<string, string> = {}): Promise<void> {
  await publish(config, event.type, event, event.id, headers)
}

/**
 * Publishes one event three times, as redeliveries do: two copies at once (as after a publisher
 * or outbox retry), then a third once the first is surely sent. Resolves once its mail arrived and
 * both other copies were skipped: every copy is settled, so the inbox is final.
 */
export async function publishThreeCopies ({ app, config, servers }: TestApp, event: CloudEvent<{ email: string }>): Promise<void> {
  const skippedBefore = app.inboxEvents.stats.alreadySent
  await publishEvent(config, event)
  await publishEvent(config, event)
  await waitForMail(servers.inboxApi, event.data.email)
  await waitFor(() => app.inboxEvents.stats.alreadySent >= skippedBefore + 1, { timeoutMs: 15_000, what: 'the second copy to be skipped' })
  await publishEvent(config, event)
  await waitFor(() => app.inboxEvents.stats.alreadySent >= skippedBefore + 2, { timeoutMs: 10_000, what: 'the third copy to be skipped' })
}

/** Whether the broker routes a message with this key anywhere (it does not, if nothing binds it). */
export async function isRoutable (config: MailerConfig, routingKey: string): Promise<boolean> {
  const connection = await amqplib.connect(config.AMQP_URL)
  try {
    const channel = await connection.createConfirmChannel()
    let returned = false
    channel.on('return', () => { returned = true })
    channel.publish(config.EVENTS_EXCHANGE, routingKey, Buffer.from('{}'), { mandatory: true, messageId: 'routing-probe' })
    await channel.waitForConfirms()
    return !returned
  } finally {
    await connection.close()
  }
}

export interface DeadLetter {
  body: string
  headers: Record<string, unknown>
}

/** Takes whatever is in the dead-letter queue right now. */
export async function drainDeadLetters (config: MailerConfig): Promise<DeadLetter[]> {
  const connection = await amqplib.connect(config.AMQP_URL)
  try {
    const channel = await connection.createChannel()
    const letters: DeadLetter[] = []
    for (;;) {
      const message = await channel.get(`${config.MAIL_QUEUE}.dead`, { noAck: true })
      if (message === false) return letters
      letters.push({ body: message.content.toString('utf8'), headers: message.properties.headers ?? {} })
    }
  } finally {
    await connection.close()
  }
}

export interface InboxMail {
  /** Envelope recipients, lower-cased. */
  to: string[]
  subject: string
  text: string
  html: string
  /** First value of each header, by lower-cased name. */
  headers: Record<string, string>
  /** When the catcher accepted it. */
  receivedAt: Date
}

interface MailHogPart {
  Headers: Record<string, string[]>
  Body: string
  MIME: { Parts: MailHogPart[] } | null
}

interface MailHogMessage {
  Created: string
  To: Array<{ Mailbox: string, Domain: string }>
  Content: MailHogPart
  MIME: { Parts: MailHogPart[] } | null
}

/** Mails in a MailHog inbox for one recipient (API v2 search, then an exact match on the envelope). */
export async function inboxFor (inboxApi: string, address: string): Promise<InboxMail[]> {
  const response = await fetch(`${inboxApi}/v2/search?kind=to&query=${encodeURIComponent(address)}&limit=1000`)
  if (!response.ok) throw new Error(`inbox answered ${response.status}`)
  const { items } = await response.json() as { items: MailHogMessage[] }
  return items.map(readMail).filter((mail) => mail.to.includes(address.toLowerCase()))
}

function readMail (message: MailHogMessage): InboxMail {
  const headers = Object.fromEntries(Object.entries(message.Content.Headers).map(([name, values]) => [name.toLowerCase(), values[0] ?? '']))
  const parts = leafParts(message.MIME === null ? [message.Content] : message.MIME.Parts)
  const bodyOf = (type: string): string => {
    const part = parts.find((candidate) => (candidate.Headers['Content-Type']?.[0] ?? '').startsWith(type))
    return part === undefined ? '' : decodeBody(part.Body, part.Headers['Content-Transfer-Encoding']?.[0])
  }
  return {
    to: message.To.map(({ Mailbox, Domain }) => `${Mailbox}@${Domain}`.toLowerCase()),
    subject: headers.subject ?? '',
    text: bodyOf('text/plain'),
    html: bodyOf('text/html'),
    headers,
    receivedAt: new Date(message.Created)
  }
}

function leafParts (parts: MailHogPart[]): MailHogPart[] {
  return parts.flatMap((part) => part.MIME === null ? [part] : leafParts(part.MIME.Parts))
}

function decodeBody (body: string, encoding = '7bit'): string {
  switch (encoding.toLowerCase()) {
    case 'base64':
      return Buffer.from(body, 'base64').toString('utf8')
    case 'quoted-printable':
      return Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))), 'latin1').toString('utf8')
    default:
      return body
  }
}

export async function waitForMail (inboxApi: string, address: string, timeoutMs = 15_000): Promise<InboxMail[]> {
  let mails: InboxMail[] = []
  await waitFor(async () => (mails = await inboxFor(inboxApi, address)).length > 0, { timeoutMs, what: `a mail to ${address}` })
  return mails
}

export async function waitFor (condition: () => boolean | Promise<boolean>, options: { timeoutMs: number, what: string, intervalMs?: number }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs
  while (!await condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}`)
    await sleep(options.intervalMs ?? 100)
  }
}

export async function findDelivery (mongoUrl: string, eventId: string): Promise<{ status?: string } | null> {
  const client = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 3000 })
  try {
    return await client.db().collection<{ _id: string, status?: string }>('deliveries').findOne({ _id: eventId })
  } finally {
    await client.close()
  }
}

export async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

export interface MailCatcher {
  smtpPort: number
  inboxApi: string
  stop: () => Promise<void>
}

/** A MailHog of our own (in memory, free ports), for tests that need to switch SMTP off and on. */
export async function startMailHog (smtpPort?: number): Promise<MailCatcher> {
  const bin = process.env.MAILHOG_BIN
  if (bin === undefined || bin === '') throw new Error('MAILHOG_BIN is not set: source the test stack\'s env file')
  const port = smtpPort ?? await freePort()
  const httpPort = await freePort()
  const child = spawn(bin, [
    '-smtp-bind-addr', `127.0.0.1:${port}`,
    '-api-bind-addr', `127.0.0.1:${httpPort}`,
    '-ui-bind-addr', `127.0.0.1:${httpPort}`,
    '-storage', 'memory'
  ], { stdio: 'ignore' })
  const inboxApi = `http://127.0.0.1:${httpPort}/api`
  const stop = async (): Promise<void> => await stopProcess(child)
  try {
    await waitFor(async () => await fetch(`${inboxApi}/v2/messages`).then((r) => r.ok, () => false), { timeoutMs: 15_000, what: 'MailHog to start' })
  } catch (err) {
    await stop()
    throw err
  }
  return { smtpPort: port, inboxApi, stop }
}

/** SIGTERM, and waits until the process is gone. */
export async function stopProcess (child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill(signal)
  await exited
}

export interface MailerProcess {
  child: ChildProcess
  /** The mailer's HTTP address (health and readiness). */
  url: string
}

const mailerDir = new URL('..', import.meta.url)

/**
 * The real mailer as its own process (`node --import tsx src/server.ts`, so it runs the source
 * under test), started with the given environment; resolves once it says it is ready.
 */
export async function startMailerProcess (env: Record<string, string>): Promise<MailerProcess> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: mailerDir,
    env: { PATH: process.env.PATH ?? '', ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: process.env.TEST_LOG_LEVEL === undefined ? 'ignore' : 'inherit'
  })
  const url = `http://127.0.0.1:${port}`
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`the mailer exited with code ${child.exitCode}`)
      return await fetch(`${url}/ready`).then((r) => r.ok, () => false)
    }, { timeoutMs: 30_000, what: 'the mailer process to be ready' })
  } catch (err) {
    await stopProcess(child, 'SIGKILL')
    throw err
  }
  return { child, url }
}

export async function withTimeout<T> (promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Collects an app's JSON log lines, for tests that check what was logged. */
export function logCollector (): { stream: Writable, lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  const stream = new PassThrough()
  stream.setEncoding('utf8')
  let rest = ''
  stream.on('data', (text: string) => {
    const parts = (rest + text).split('\n')
    rest = parts.pop() ?? ''
    for (const line of parts) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>)
  })
  return { stream, lines }
}

/** An SMTP server that refuses every recipient, quoting the address as real servers do. */
export async function startRefusingSmtp (): Promise<{ url: string, close: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.write('220 refusing.test ESMTP\r\n')
    let buffered = ''
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1')
      let end
      while ((end = buffered.indexOf('\r\n')) >= 0) {
        const line = buffered.slice(0, end)
        buffered = buffered.slice(end + 2)
        const verb = line.slice(0, 4).toUpperCase()
        if (verb === 'RCPT') socket.write(`550 5.1.1 ${line.slice(8).trim()}: Recipient address rejected: User unknown\r\n`)
        else if (verb === 'QUIT') socket.end('221 bye\r\n')
        else socket.write('250 ok\r\n')
      }
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  return {
    url: `smtp://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    }
  }
}

export interface MetricSample { name: string, labels: Record<string, string>, value: number }

/** Scrapes a Prometheus endpoint over HTTP and returns its samples (comments dropped). */
export async function scrapeMetrics (url: string): Promise<MetricSample[]> {
  const response = await fetch(url)
  if (!response.ok) throw new Error(`metrics answered ${response.status}`)
  return (await response.text()).split('\n').filter((line) => line !== '' && !line.startsWith('#')).map((line) => {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (match === null) throw new Error(`not a sample line: ${line}`)
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key!, value!]))
    return { name: match[1]!, labels, value: Number(match[3]) }
  })
}

/** The value of the one sample with this name whose labels include these; undefined if there is none. */
export function sampleValue (samples: MetricSample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))?.value
}
