import { randomBytes, randomUUID } from 'node:crypto'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { PassThrough, type Writable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import amqplib from 'amqplib'
import getPort from 'get-port'
import { SMTPServer } from 'smtp-server'
import { MongoClient } from 'mongodb'
import { createEvent, EventTypes, loadConfig, type CodeDeliveryData, type CloudEvent, type EventType, type PasswordChangeHow, type PasswordChangedData } from '@latchkey/shared'
import { eventually, inboxFor, type InboxMail } from '@latchkey/shared/test-support'
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
  await eventually(() => fastify.mailEvents.connected, { timeoutMs: 20_000, what: 'the mailer to consume' })
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
  const skippedBefore = app.mailEvents.stats.alreadySent
  await publishEvent(config, event)
  await publishEvent(config, event)
  await waitForMail(servers.inboxApi, event.data.email)
  await eventually(() => app.mailEvents.stats.alreadySent >= skippedBefore + 1, { timeoutMs: 15_000, what: 'the second copy to be skipped' })
  await publishEvent(config, event)
  await eventually(() => app.mailEvents.stats.alreadySent >= skippedBefore + 2, { timeoutMs: 10_000, what: 'the third copy to be skipped' })
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

/**
 * Resolves once the mailer holds nothing and nothing waits for it: at least `received` messages
 * came in, each of them is settled (sent, skipped, dropped, parked or dead-lettered), and its queue
 * and retry queue are empty. No mail can come after that from what was published before: a test
 * that proves a mail was not sent waits for this instead of a fixed time.
 */
export async function settled ({ app, config }: Pick<TestApp, 'app' | 'config'>, { received = 1, timeoutMs = 15_000 } = {}): Promise<void> {
  const connection = await amqplib.connect(config.AMQP_URL)
  try {
    const channel = await connection.createChannel()
    const waiting = async (): Promise<number> => {
      const queues = await Promise.all([config.MAIL_QUEUE, `${config.MAIL_QUEUE}.retry`].map(async (queue) => await channel.checkQueue(queue)))
      return queues.reduce((sum, queue) => sum + queue.messageCount, 0)
    }
    await eventually(async () => {
      const { received: came, ...outcomes } = app.mailEvents.stats
      const done = Object.values(outcomes).reduce((sum, count) => sum + count, 0)
      return came >= received && done === came && await waiting() === 0
    }, { timeoutMs, what: `the mailer to settle ${received} message(s) and have none waiting` })
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

/** The mails to `address`, once there is at least one. */
export async function waitForMail (inboxApi: string, address: string, timeoutMs = 15_000): Promise<InboxMail[]> {
  return await eventually(async () => {
    const mails = await inboxFor(inboxApi, address)
    return mails.length > 0 && mails
  }, { timeoutMs, what: `a mail to ${address}` })
}

export async function findDelivery (mongoUrl: string, eventId: string): Promise<{ status?: string } | null> {
  const client = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 3000 })
  try {
    return await client.db().collection<{ _id: string, status?: string }>('deliveries').findOne({ _id: eventId })
  } finally {
    await client.close()
  }
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
  const port = smtpPort ?? await getPort({ host: '127.0.0.1' })
  const httpPort = await getPort({ host: '127.0.0.1' })
  const child = spawn(bin, [
    '-smtp-bind-addr', `127.0.0.1:${port}`,
    '-api-bind-addr', `127.0.0.1:${httpPort}`,
    '-ui-bind-addr', `127.0.0.1:${httpPort}`,
    '-storage', 'memory'
  ], { stdio: 'ignore' })
  const inboxApi = `http://127.0.0.1:${httpPort}/api`
  const stop = async (): Promise<void> => await stopProcess(child)
  try {
    await eventually(async () => await fetch(`${inboxApi}/v2/messages`).then((r) => r.ok, () => false), { timeoutMs: 15_000, what: 'MailHog to start' })
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
  const port = await getPort({ host: '127.0.0.1' })
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: mailerDir,
    env: { PATH: process.env.PATH ?? '', ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: process.env.TEST_LOG_LEVEL === undefined ? 'ignore' : 'inherit'
  })
  const url = `http://127.0.0.1:${port}`
  try {
    await eventually(async () => {
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

/**
 * A real SMTP server (nodemailer's smtp-server) that refuses every recipient with a 550, quoting
 * the address as real servers do.
 */
export async function startRefusingSmtp (): Promise<{ url: string, close: () => Promise<void> }> {
  const server = new SMTPServer({
    name: 'refusing.test',
    logger: false,
    authOptional: true,
    // Plain SMTP, as the mailer speaks to a relay on its own network.
    disabledCommands: ['STARTTLS'],
    closeTimeout: 100,
    onRcptTo (address, _session, callback) {
      callback(Object.assign(new Error(`5.1.1 <${address.address}>: Recipient address rejected: User unknown`), { responseCode: 550 }))
    }
  })
  server.listen(0, '127.0.0.1')
  await once(server.server, 'listening')
  const { port } = server.server.address() as { port: number }
  return {
    url: `smtp://127.0.0.1:${port}`,
    close: async () => { await new Promise<void>((resolve) => server.close(resolve)) }
  }
}
