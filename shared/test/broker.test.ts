import { randomBytes } from 'node:crypto'
import t from 'tap'
import { BrokerLink } from '../src/broker.js'

const amqpUrl = process.env.AMQP_URL
const quiet = { info () {}, warn () {}, error () {} }

async function eventually (check: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (check()) return true
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return false
}

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
  t.ok(await eventually(() => link.connected), 'connected')
  t.equal(setups, 1)

  // Re-declaring the queue with other arguments is a channel-level error: the channel closes.
  await link.channel!.assertQueue(queue, { durable: true }).catch(() => {})
  t.ok(await eventually(() => setups === 2 && link.connected), 'a new channel was opened and set up again')
  t.ok(await link.channel!.checkQueue(queue), 'the new channel works')
})

t.test('BrokerLink with no broker stays disconnected without throwing', async (t) => {
  const link = new BrokerLink({ url: 'amqp://guest:guest@127.0.0.1:1', connectionName: 'nowhere', log: quiet, setup: async () => {} })
  await link.start()
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(link.connected, false)
  t.equal(link.channel, null)
  await link.close()
})
