// Device tokens without the app: a token is valid for the address it was issued for, under the
// key it was signed with, until it expires, and not once any part of it is changed.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { DeviceTokens } from '../src/credentials/device-tokens.js'

const ttlSeconds = 30 * 86_400
const tokens = new DeviceTokens(randomBytes(32), ttlSeconds)
const now = new Date('2026-12-04T12:00:00.000Z')
const address = 'owner@example.com'

t.test('an issued token names a device for its address until it expires', async (t) => {
  const token = tokens.issue(address, now)
  const [id, expires, mac] = token.split('.')
  t.match(id, /^[A-Za-z0-9_-]{22}$/, '16 random bytes')
  t.equal(Number(expires), now.getTime() / 1000 + ttlSeconds, 'the expiry, in seconds')
  t.match(mac, /^[A-Za-z0-9_-]{43}$/, 'an HMAC-SHA256')
  t.equal(tokens.deviceOf(token, address, now), id)
  t.equal(tokens.deviceOf(token, address, new Date(now.getTime() + ttlSeconds * 1000 - 1)), id, 'until the last millisecond')
  t.equal(tokens.deviceOf(token, address, new Date(now.getTime() + ttlSeconds * 1000)), undefined, 'gone at the expiry')
  t.not(tokens.issue(address, now).split('.')[0], id, 'each browser its own device')
})

t.test('no device for another address, another key, or a changed token', async (t) => {
  const token = tokens.issue(address, now)
  const [id, expires, mac] = token.split('.') as [string, string, string]
  t.equal(tokens.deviceOf(token, 'someone@example.com', now), undefined, 'another address')
  t.equal(new DeviceTokens(randomBytes(32), ttlSeconds).deviceOf(token, address, now), undefined, 'another key')
  const otherId = randomBytes(16).toString('base64url')
  for (const [what, changed] of [
    ['another id', `${otherId}.${expires}.${mac}`],
    ['a later expiry', `${id}.${Number(expires) + 86_400}.${mac}`],
    ['another MAC', `${id}.${expires}.${mac.slice(0, -2)}AA`],
    ['a shortened MAC', `${id}.${expires}.${mac.slice(0, -4)}`],
    ['an extra part', `${token}.more`],
    ['no MAC', `${id}.${expires}`],
    ['an expiry that is no integer', `${id}.${Number(expires) + 0.5}.${mac}`],
    ['a text expiry', `${id}.soon.${mac}`],
    ['nothing', '']
  ] as const) t.equal(tokens.deviceOf(changed, address, now), undefined, what)
  t.equal(tokens.deviceOf(undefined, address, now), undefined, 'no cookie')
})
