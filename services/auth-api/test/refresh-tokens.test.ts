// Refresh tokens without the app: their shape, what parsing takes from them, and the successor
// every replica derives alike from one token.
import { randomBytes, randomUUID } from 'node:crypto'
import t from 'tap'
import { digest, RefreshTokens } from '../src/sessions/refresh-tokens.js'

const key = randomBytes(32)
const tokens = new RefreshTokens(key, 30 * 86_400, 10)
const accountId = randomUUID()
const sessionId = randomUUID()

t.test('a token names its account and session, then a random secret', async (t) => {
  const token = tokens.create(accountId, sessionId)
  t.match(token, new RegExp(`^${accountId}\\.${sessionId}\\.[A-Za-z0-9_-]{43}$`))
  t.not(tokens.create(accountId, sessionId), token, 'a new secret each time')
  t.same(tokens.parse(token), { token, accountId, sessionId, hash: digest(token) })
  t.equal(tokens.ttlSeconds, 30 * 86_400)
  t.equal(tokens.reuseIntervalSeconds, 10)
})

t.test('anything else does not parse', async (t) => {
  const token = tokens.create(accountId, sessionId)
  const [, , secret] = token.split('.')
  for (const bad of [
    '',
    `${accountId}.${sessionId}`,
    `${accountId}.${sessionId}.${secret!.slice(1)}`,
    `${token}.extra`,
    `${accountId.toUpperCase()}.${sessionId}.${secret!}`,
    `not-a-uuid.${sessionId}.${secret!}`,
    `${accountId}.${sessionId}.${secret!.slice(1)}+`,
    ` ${token}`
  ]) t.equal(tokens.parse(bad), null, JSON.stringify(bad))
})

t.test('the stored digest is SHA-256, base64url', async (t) => {
  t.equal(digest('abc'), 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0')
  t.equal(digest('abc'), digest('abc'))
  t.not(digest('abc'), digest('abd'))
})

t.test('the successor is derived from the token under the key: the same on every replica, for the same session', async (t) => {
  const presented = tokens.parse(tokens.create(accountId, sessionId))!
  const successor = tokens.successorOf(presented)
  t.equal(tokens.successorOf(presented), successor, 'the same token twice, the same successor')
  t.equal(new RefreshTokens(key, 60, 0).successorOf(presented), successor, 'another replica with the same key agrees')
  t.not(new RefreshTokens(randomBytes(32), 60, 0).successorOf(presented), successor, 'another key does not')
  t.not(successor, presented.token)
  const parsed = tokens.parse(successor)
  t.match(parsed, { accountId, sessionId }, 'a well-formed token of the same session')
  t.not(tokens.successorOf(parsed!), successor, 'and its own successor is another one')
  t.not(tokens.successorOf(tokens.parse(tokens.create(accountId, sessionId))!), successor, 'another token, another successor')
})
