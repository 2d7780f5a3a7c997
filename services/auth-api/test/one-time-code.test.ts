// One-time codes without the app: their length per purpose, what a code matches, when it expires.
import t from 'tap'
import { OneTimeCodes } from '../src/codes/one-time-code.js'

const codes = new OneTimeCodes('a-server-secret-'.padEnd(64, 'x'), { activation: 4, 'password-reset': 8 }, 60, 5)
const now = new Date('2026-12-04T12:00:00.000Z')

t.test('each purpose has its length', async (t) => {
  t.equal(codes.lengthOf('activation'), 4)
  t.equal(codes.lengthOf('password-reset'), 8)
  t.equal(codes.ttlSeconds, 60)
  t.equal(codes.maxAttempts, 5)
})

t.test('an issued code: digits of its purpose\'s length, stored only as a MAC, living the lifetime', async (t) => {
  const { code, stored } = codes.issue('activation', 'account-1', now)
  t.match(code, /^[0-9]{4}$/)
  t.match(codes.issue('password-reset', 'account-1', now).code, /^[0-9]{8}$/)
  t.same({ issuedAt: stored.issuedAt, expiresAt: stored.expiresAt, attempts: stored.attempts }, { issuedAt: now, expiresAt: new Date('2026-12-04T12:01:00.000Z'), attempts: 0 })
  t.match(stored.hash, /^[A-Za-z0-9_-]{43}$/, 'an HMAC-SHA256, base64url')
  t.notMatch(stored.hash, code, 'not the code itself')

  const many = Array.from({ length: 2000 }, () => codes.issue('activation', 'account-1', now).code)
  t.ok(many.every((drawn) => /^[0-9]{4}$/.test(drawn)), 'always four digits')
  t.ok(many.some((drawn) => drawn.startsWith('0')), 'leading zeros kept (one draw in ten starts with one)')
  t.ok(new Set(many).size > 1000, 'drawn at random')
})

t.test('a code matches only the purpose, account and issue it was made for', async (t) => {
  const { code, stored } = codes.issue('activation', 'account-1', now)
  t.ok(codes.matches('activation', 'account-1', stored, code))
  const wrong = code === '0000' ? '0001' : '0000'
  t.notOk(codes.matches('activation', 'account-1', stored, wrong), 'another code')
  t.notOk(codes.matches('password-reset', 'account-1', stored, code), 'another purpose')
  t.notOk(codes.matches('activation', 'account-2', stored, code), 'another account')
  t.notOk(codes.matches('activation', 'account-1', { ...stored, issuedAt: new Date(now.getTime() + 1) }, code), 'another issue')
  t.notOk(codes.matches('activation', 'account-1', { ...stored, hash: 'short' }, code), 'a damaged hash')
  const otherKey = new OneTimeCodes('another-secret-'.padEnd(64, 'y'), { activation: 4, 'password-reset': 8 }, 60, 5)
  t.notOk(otherKey.matches('activation', 'account-1', stored, code), 'another server key')
})

t.test('valid while now is before the expiry: at exactly the lifetime it is gone', async (t) => {
  const { stored } = codes.issue('activation', 'account-1', now)
  t.notOk(codes.isExpired(stored, now))
  t.notOk(codes.isExpired(stored, new Date(now.getTime() + 59_999)))
  t.ok(codes.isExpired(stored, new Date(now.getTime() + 60_000)))
  t.ok(codes.isExpired(stored, new Date(now.getTime() + 3_600_000)))
})

t.test('well-formed: exactly the purpose\'s number of ASCII digits', async (t) => {
  t.ok(codes.isWellFormed('activation', '0427'))
  t.ok(codes.isWellFormed('password-reset', '04270000'))
  for (const candidate of ['427', '04270', '04270000', '04a7', ' 427', '0427 ', '-427', '4.27', '٠٤٢٧', '']) {
    t.notOk(codes.isWellFormed('activation', candidate), `activation: ${JSON.stringify(candidate)}`)
  }
  t.notOk(codes.isWellFormed('password-reset', '0427'), 'an activation-length code is no reset code')
})
