import { randomBytes, randomUUID } from 'node:crypto'
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { existsSync, readFileSync } from 'node:fs'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import amqplib from 'amqplib'
import { MongoClient } from 'mongodb'
import { createEvent, loadConfig, type CodeDeliveryData, type CloudEvent, type EventType } from '@latchkey/shared'
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
      '(e.g. MONGO_URL=mongodb://127.0.0.1:27117/latchkey AMQP_URL=amqp://guest:guest@127.0.0.1:5672 ' +
      'SMTP_URL=smtp://127.0.0.1:1025 INBOX_API=http://127.0.0.1:1080/api)')
  }
  return {
    mongoUrl: process.env.MONGO_URL!,
    amqpUrl: process.env.AMQP_URL!,
    smtpUrl: process.env.SMTP_URL!,
    inboxApi: process.env.INBOX_API!.replace(/\/$/, '')
  }
}

export interface TestApp {
  app: FastifyInstance
  config: MailerConfig
  servers: TestServers
}

/**
 * Builds the real mailer on names nobody else uses (its own exchange, queues and database),
 * waits until it consumes, and removes all of it when the test ends.
 */
export async function buildTestApp (t: Teardown, overrides: Partial<Record<keyof MailerConfig, string>> = {}): Promise<TestApp> {
  const servers = testServers()
  const id = randomBytes(5).toString('hex')
  const mongoUrl = new URL(servers.mongoUrl)
  mongoUrl.pathname = `/mailer_test_${id}`
  const config = loadConfig(MailerConfigSchema, {
    MONGO_URL: mongoUrl.toString(),
    AMQP_URL: servers.amqpUrl,
    SMTP_URL: servers.smtpUrl,
    EVENTS_EXCHANGE: `test.${id}.events`,
    MAIL_QUEUE: `test.${id}.mailer`,
    RETRY_BASE_DELAY_MS: '200',
    RETRY_MAX_DELAY_MS: '2000',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...overrides
  })

  const fastify = Fastify({ logger: { level: config.LOG_LEVEL } })
  // fastify-plugin around the app exposes its decorators (stats, delivery log) to the test.
  await fastify.register(fp(app), config)
  await fastify.ready()
  t.teardown(async () => {
    await fastify.close()
    await removeTopology(config)
    await dropDatabase(config.MONGO_URL)
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

/** Publishes like auth-api does, and fails if no queue took the message. */
export async function publish (config: MailerConfig, routingKey: string, body: string | object, messageId: string): Promise<void> {
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
      contentType: 'application/cloudevents+json'
    })
    await channel.waitForConfirms()
    // A basic.return arrives before the confirm of the same message.
    if (returned) throw new Error(`message ${messageId} was unroutable (routing key ${routingKey})`)
  } finally {
    await connection.close()
  }
}

export async function publishEvent (config: MailerConfig, event: CloudEvent): Promise<void> {
  await publish(config, event.type, event, event.id)
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
  to: Array<{ address: string }>
  subject: string
  text: string
  html: string
  headers: Record<string, string>
}

/** Mails in a maildev inbox for one recipient. */
export async function inboxFor (inboxApi: string, address: string): Promise<InboxMail[]> {
  const response = await fetch(`${inboxApi}/email`)
  if (!response.ok) throw new Error(`inbox answered ${response.status}`)
  const mails = await response.json() as InboxMail[]
  return mails.filter((mail) => mail.to.some((to) => to.address.toLowerCase() === address.toLowerCase()))
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

export interface Maildev {
  inboxApi: string
  stop: () => Promise<void>
}

/** maildev exports no package.json, so find its manifest by walking up from its entry point. */
function maildevBin (): string {
  let dir = dirname(fileURLToPath(import.meta.resolve('maildev')))
  for (;;) {
    const manifestPath = join(dir, 'package.json')
    if (existsSync(manifestPath)) {
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { name?: string, bin?: string | Record<string, string> }
      if (manifest.name === 'maildev' && manifest.bin !== undefined) {
        return join(dir, typeof manifest.bin === 'string' ? manifest.bin : manifest.bin.maildev!)
      }
    }
    if (dirname(dir) === dir) throw new Error('maildev is not installed (npm install -w services/mailer)')
    dir = dirname(dir)
  }
}

/** A maildev of our own, for tests that need to switch SMTP off and on. */
export async function startMaildev (smtpPort: number): Promise<Maildev> {
  const binPath = maildevBin()
  const webPort = await freePort()
  const child: ChildProcess = spawn(process.execPath, [
    binPath,
    '--smtp', String(smtpPort), '--web', String(webPort), '--ip', '127.0.0.1', '--web-ip', '127.0.0.1'
  ], { stdio: 'ignore' })
  const inboxApi = `http://127.0.0.1:${webPort}/api`
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
  try {
    await waitFor(async () => await fetch(`${inboxApi}/email`).then((r) => r.ok, () => false), { timeoutMs: 15_000, what: 'maildev to start' })
  } catch (err) {
    await stop()
    throw err
  }
  return { inboxApi, stop }
}
