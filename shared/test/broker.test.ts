import { randomBytes } from 'node:crypto'
import t from 'tap'
import { becomes, eventually } from '../test-support/index.js'
import { BrokerLink } from '../src/broker.js'

const amqpUrl = process.env.AMQP_URL
const quiet = { info () {}, warn () {}, error () {} }

const linkWait = { what: 'the broker link', intervalMs: 25 }

t.test('BrokerLink connects, runs setup, and reopens a channel closed by a channel error', async (t) => {
  if (!amqpUrl) throw new Error('AMQP_URL is not set: run the tests with `npm test`')
  const queue = `test.broker.${randomBytes(4).toString('hex')}`
  let setups = 0
  const link = new BrokerLink({
    url: amqpUrl,
    connectionName: 'shared-test',
    log: quiet,
    setup: async (channel) => {
      setups++
      await channel.assertQueue(queue, { durable: false, autoDelete: false })
    }
  })
  await link.start()
  t.teardown(async () => {
    await link.channel?.deleteQueue(queue).catch(() => {})
    await link.close()
  })
  t.ok(await becomes(() => link.connected, linkWait), 'connected')
  t.equal(setups, 1)

  // Re-declaring the queue with other arguments is a channel-level error: the channel closes.
  await link.channel!.assertQueue(queue, { durable: true }).catch(() => {})
  t.ok(await becomes(() => setups === 2 && link.connected, linkWait), 'a new channel was opened and set up again')
  t.ok(await link.channel!.checkQueue(queue), 'the new channel works')
})

t.test('BrokerLink with no broker stays disconnected without throwing', async (t) => {
  let failedAttempts = 0
  const log = { ...quiet, warn: (_: object, message?: string) => { if (message === 'broker connection attempt failed') failedAttempts++ } }
  const link = new BrokerLink({ url: 'amqp://guest:guest@127.0.0.1:1', connectionName: 'nowhere', log, setup: async () => {} })
  await link.start()
  // Two attempts have failed, so it has tried again after a failure.
  await eventually(() => failedAttempts >= 2, { what: 'two failed connection attempts' })
  t.equal(link.connected, false)
  t.equal(link.channel, null)
  await link.close()
})
