// The unit tests hash at a quick argon2id cost (helper.ts); production never can.
import t from 'tap'
import { ConfigError, loadConfig } from '@latchkey/shared'
import { AuthApiConfigSchema } from '../src/config.js'
import { createPasswordHasher } from '../src/credentials/passwords.js'
import { QUICK_TEST_HASHING } from './helper.js'

const required = {
  MONGO_URL: 'mongodb://127.0.0.1:1/unused',
  AMQP_URL: 'amqp://127.0.0.1:1',
  CODE_SECRET: 'x'.repeat(32),
  PUBLIC_URL: 'https://latchkey.test'
}

const parametersOf = (hash: string): string[] => hash.split('$')[3]!.split(',').sort()

t.test('configuration admits only the production cost, and refuses any other by name', async (t) => {
  t.equal(loadConfig(AuthApiConfigSchema, required).PASSWORD_HASHING, 'argon2id-owasp', 'the default')
  for (const value of ['quick', 'test', 'argon2id-quick']) {
    t.throws(() => loadConfig(AuthApiConfigSchema, { ...required, PASSWORD_HASHING: value }), { name: ConfigError.name, message: /PASSWORD_HASHING/ }, value)
  }
})

t.test('a hasher hashes at OWASP\'s cost unless its caller gives another', async (t) => {
  t.same(parametersOf(await (await createPasswordHasher()).hash('testpassword')), ['m=19456', 'p=1', 't=2'])
  const quick = await createPasswordHasher(undefined, QUICK_TEST_HASHING)
  const hash = await quick.hash('testpassword')
  t.same(parametersOf(hash), ['m=1024', 'p=1', 't=1'], 'the helper\'s quick cost')
  t.ok(await quick.verify(hash, 'testpassword'))
  t.notOk(await quick.verify(hash, 'not-the-password'))
})
