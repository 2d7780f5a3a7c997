import t from 'tap'
import { EventTypes, type CloudEvent, type CodeDeliveryData } from '@latchkey/shared'
import { startHoldingRelay } from './holding-relay.js'
import { eventually, inboxFor } from '@latchkey/shared/test-support'
import { codeEvent, publishEvent, startMailerProcess, stopProcess, testEnvironment, uniqueRecipient, type MailerProcess, withTimeout } from './helper.js'

const trials = 20
// Shorter than nodemailer's 5 s socket timeout, long enough for the kill to land first.
const holdMs = 3000

t.setTimeout(360_000)

t.test(`a mailer killed (SIGKILL) in the middle of an SMTP send loses no code mail: ${trials} kills`, async (t) => {
  const environment = testEnvironment({
    // Production back-off, so the redelivered copy waits as it would in a real deployment.
    RETRY_BASE_DELAY_MS: '1000',
    RETRY_MAX_DELAY_MS: '60000'
  })
  const catcher = new URL(environment.servers.smtpUrl)
  const relay = await startHoldingRelay({ host: catcher.hostname, port: Number(catcher.port) }, holdMs)
  const env = { ...environment.env, SMTP_URL: `smtp://127.0.0.1:${relay.port}` }
  let mailer: MailerProcess | undefined
  t.teardown(async () => {
    if (mailer !== undefined) await stopProcess(mailer.child)
    await relay.close()
    await environment.cleanup()
  })

  mailer = await startMailerProcess(env)
  const events: Array<CloudEvent<CodeDeliveryData>> = []
  for (let trial = 1; trial <= trials; trial++) {
    const event = codeEvent(EventTypes.userRegistered, uniqueRecipient(`crash-${trial}`), { code: String(1000 + trial), expiresInMs: 60_000 })
    events.push(event)
    const held = relay.held(event.id)
    await publishEvent(environment.config, event)
    await withTimeout(held, 20_000, `trial ${trial}'s mail to reach SMTP`)
    // The mailer has claimed the event and is waiting for the server to accept the mail.
    await stopProcess(mailer.child, 'SIGKILL')
    // A fresh process takes over the queue: the redelivered copy and the next trial's event.
    mailer = await startMailerProcess(env)
  }

  // Every code must arrive while it is still valid; duplicates are allowed, losses are not.
  const lastExpiry = Math.max(...events.map((event) => Date.parse(event.data.codeExpiresAt)))
  const arrived = async (): Promise<Array<{ code: string, mails: number, inTime: boolean }>> => await Promise.all(events.map(async (event) => {
    const mails = await inboxFor(environment.servers.inboxApi, event.data.email)
    const inTime = mails.some((mail) => mail.receivedAt.getTime() <= Date.parse(event.data.codeExpiresAt) && mail.subject.endsWith(event.data.code))
    return { code: event.data.code, mails: mails.length, inTime }
  }))
  // Until every code arrived, or until a little after the last one expired: then the lost are listed.
  const outcome = await eventually(async () => {
    const found = await arrived()
    return found.every((trial) => trial.inTime) && found
  }, { what: 'every code mail', timeoutMs: Math.max(lastExpiry + 2000 - Date.now(), 0), intervalMs: 500 }).catch(arrived)
  const lost = outcome.filter((trial) => !trial.inTime).map((trial) => trial.code)
  t.same(lost, [], `of ${trials} code mails in flight at a kill, none lost (codes lost: ${lost.join(', ') || 'none'})`)
  t.comment(`mails per code: ${outcome.map((trial) => trial.mails).join(' ')}`)
})
