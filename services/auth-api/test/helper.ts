import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import amqplib from 'amqplib'
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify'
import fp from 'fastify-plugin'
import { MongoClient, type Collection } from 'mongodb'
import { loadConfig, type CloudEvent, type CodeDeliveryData, type PasswordChangedData, type SessionsEndedData } from '@latchkey/shared'
import { eventually } from '@latchkey/shared/test-support'
import type { Test } from 'tap'
import type { AccountDocument } from '../src/accounts/account.js'
import app from '../src/app.js'
import { AuthApiConfigSchema, type AuthApiConfig } from '../src/config.js'
import type { HashingCost } from '../src/credentials/passwords.js'
import type { UndocumentedError } from '../src/http/errors.js'
import { serverOptions } from '../src/http/server-options.js'
import { recordErrorCodes } from './error-codes/observed.js'

/** The real servers come from the test stack (`npm test` starts it and exports these). */
export function requiredEnv (name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set: run the tests with \`npm test\`, which starts the servers they use`)
  return value
}

export function uniqueName (prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`
}

/** A clock the test moves by hand, so a 60 s code lifetime needs no 60 s sleep. */
export class TestClock {
  #now = Date.now()
  now = (): Date => new Date(this.#now)
  advance (seconds: number): void { this.#now += seconds * 1000 }
}

export interface TestApp {
  app: FastifyInstance
  config: AuthApiConfig
  clock: TestClock
  databaseName: string
}

const appsPerDatabase = new Map<string, number>()

/**
 * The unit tests' argon2id cost (1 MiB, t=1), as GoTrue's tests hash at bcrypt's lowest cost:
 * they test what is done with a hash, not what a hash costs, and most of their time went to
 * hashing at OWASP's cost. Only this helper sets it (configuration refuses any cost but OWASP's,
 * PASSWORD_HASHING); the test of the stored parameters, e2e and the bench keep OWASP's.
 */
export const QUICK_TEST_HASHING: HashingCost = { memoryCost: 1024, timeCost: 1, parallelism: 1 }

export interface BuildOptions {
  /** QUICK_TEST_HASHING unless given (OWASP_HASHING for the production cost). */
  passwordHashing?: HashingCost
}

export async function build (t: Test, overrides: Partial<Record<keyof AuthApiConfig, string>> = {}, databaseName = uniqueName('authapi_test'), { passwordHashing = QUICK_TEST_HASHING }: BuildOptions = {}): Promise<TestApp> {
  const keysDir = overrides.JWT_KEYS_DIR ?? mkdtempSync(join(tmpdir(), 'latchkey-keys-'))
  if (!overrides.JWT_KEYS_DIR) t.teardown(() => rmSync(keysDir, { recursive: true, force: true }))
  const config = loadConfig(AuthApiConfigSchema, {
    JWT_KEYS_DIR: keysDir,
    PUBLIC_URL: 'https://latchkey.test',
    MONGO_URL: requiredEnv('MONGO_URL'),
    AMQP_URL: requiredEnv('AMQP_URL'),
    CODE_SECRET: 'test-secret-'.padEnd(64, 'x'),
    EVENTS_EXCHANGE: uniqueName('test.events'),
    REPLICA_ID: uniqueName('test-replica'),
    LOG_LEVEL: 'silent',
    METRICS_PORT: '0',
    ...overrides
  })
  const clock = new TestClock()
  const server = Fastify({ logger: false, ...serverOptions('127.0.0.1') })
  // The OpenAPI document is the contract: an error code a route does not document fails the test.
  const onUndocumentedError = (error: UndocumentedError) => { t.fail(`${error.method} ${error.route} answered ${error.status} ${error.code}, which it does not document`) }
  recordErrorCodes(server)
  await server.register(fp(app), { config, clock: clock.now, databaseName, onUndocumentedError, passwordHashing })
  await server.ready()
  appsPerDatabase.set(databaseName, (appsPerDatabase.get(databaseName) ?? 0) + 1)
  t.teardown(async () => {
    const left = appsPerDatabase.get(databaseName)! - 1
    appsPerDatabase.set(databaseName, left)
    // Apps built on one database act as replicas of one deployment: the last one out removes it.
    if (left === 0) await server.db.dropDatabase().catch(() => {})
    await server.close()
  })
  return { app: server, config, clock, databaseName }
}

/** The raw collections, for tests that set up or inspect what no route shows; the app's code reaches them only through its stores. */
export function usersOf (app: FastifyInstance): Collection<AccountDocument> {
  return app.db.collection<AccountDocument>('users')
}

export function signInAttemptsOf (app: FastifyInstance): Collection<{ _id: string, attempts: number, lockedUntil?: Date, expiresAt: Date }> {
  return app.db.collection('sign_in_attempts')
}

export function basic (email: string, password: string): string {
  return `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`
}

export function form (fields: Record<string, string>): { payload: string, headers: Record<string, string> } {
  return { payload: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } }
}

/** Registers from a client address of its own unless one is given: quotas count per client network. */
export async function register (app: FastifyInstance, email: string, password: string, clientIp = randomClientIp()): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/register', payload: { email, password }, headers: { 'x-forwarded-for': clientIp } })
}

export function randomClientIp (): string {
  const [a, b, c] = randomBytes(3)
  return `10.${a}.${b}.${c}`
}

/** What the tests read in events: code mails and session notices (each event has only its own fields). */
type EventData = CodeDeliveryData & Pick<SessionsEndedData, 'sessionIds' | 'reason'> & Partial<Pick<PasswordChangedData, 'how'>>

export interface CapturedMessage {
  event: CloudEvent<EventData>
  routingKey: string
  properties: amqplib.MessageProperties
}

/**
 * Binds a throwaway queue to the test exchange and records everything published to it:
 * the tests read the emailed code from the event, as the mailer would.
 */
export async function captureEvents (t: Test, exchange: string, bindings = ['#'], amqpUrl = requiredEnv('AMQP_URL')) {
  const connection = await amqplib.connect(amqpUrl)
  const channel = await connection.createChannel()
  await channel.assertExchange(exchange, 'topic', { durable: true })
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true })
  for (const key of bindings) await channel.bindQueue(queue, exchange, key)
  const messages: CapturedMessage[] = []
  await channel.consume(queue, (message) => {
    if (!message) return
    messages.push({ event: JSON.parse(message.content.toString()), routingKey: message.fields.routingKey, properties: message.properties })
    channel.ack(message)
  })
  t.teardown(async () => {
    await channel.deleteExchange(exchange).catch(() => {})
    await connection.close().catch(() => {})
  })
  return {
    messages,
    async next (predicate: (m: CapturedMessage) => boolean, timeoutMs = 10_000): Promise<CapturedMessage> {
      return await eventually(() => messages.find(predicate), { timeoutMs, intervalMs: 25, what: 'a matching event to be published' })
    }
  }
}

export type EventCapture = Awaited<ReturnType<typeof captureEvents>>

/** Waits for the next code event for this address, counting those already seen. */
export async function nextCodeFor (events: EventCapture, email: string, seenBefore: number): Promise<string> {
  await events.next(() => events.messages.filter((m) => m.event.data.email === email).length > seenBefore)
  return events.messages.filter((m) => m.event.data.email === email).at(-1)!.event.data.code
}

export function eventsFor (events: EventCapture, email: string): CapturedMessage[] {
  return events.messages.filter((m) => m.event.data.email === email)
}

/** Registers and returns the code the mailer would have sent. */
export async function registerAndReadCode (app: FastifyInstance, events: EventCapture, email: string, password: string): Promise<string> {
  const seen = eventsFor(events, email).length
  const response = await register(app, email, password)
  if (response.statusCode >= 300) throw new Error(`registration failed: ${response.statusCode} ${response.body}`)
  return await nextCodeFor(events, email, seen)
}

export async function mongoClient (t: Test): Promise<MongoClient> {
  const client = new MongoClient(requiredEnv('MONGO_URL'), { serverSelectionTimeoutMS: 3000 })
  await client.connect()
  t.teardown(async () => { await client.close() })
  return client
}

/** Registers, activates with the emailed code, and returns the account's credentials. */
export async function activeAccount (app: FastifyInstance, events: EventCapture, email: string, password = 'testpassword'): Promise<{ email: string, password: string }> {
  const code = await registerAndReadCode(app, events, email, password)
  const response = await app.inject({ method: 'POST', url: '/verify', headers: { authorization: basic(email, password) }, payload: { verification_code: code } })
  if (response.statusCode !== 200) throw new Error(`activation failed: ${response.statusCode} ${response.body}`)
  return { email, password }
}

export async function login (app: FastifyInstance, email: string, password = 'testpassword'): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/login', payload: { email, password } })
}

export function bearer (token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` }
}
