// The network a client address counts for: its /24 (IPv4) or /64 (IPv6), as a field-name-safe key.
import t from 'tap'
import { networkOf } from '../src/codes/client-network.js'

t.test('IPv4: the /24', async (t) => {
  t.equal(networkOf('203.0.113.77'), 'v4-203-0-113')
  t.equal(networkOf('203.0.113.1'), networkOf('203.0.113.254'), 'one /24, one key')
  t.not(networkOf('203.0.113.1'), networkOf('203.0.114.1'), 'the next /24 is another network')
  t.equal(networkOf('::ffff:203.0.113.77'), 'v4-203-0-113', 'an IPv4-mapped IPv6 address is its IPv4 address')
  t.equal(networkOf('::FFFF:203.0.113.77'), 'v4-203-0-113', 'in either case')
})

t.test('IPv6: the /64, however the address is written', async (t) => {
  t.equal(networkOf('2001:db8:85a3:1234:5678:8a2e:370:7334'), 'v6-2001-db8-85a3-1234')
  t.equal(networkOf('2001:0DB8:85A3:1234:0:0:0:1'), 'v6-2001-db8-85a3-1234', 'leading zeros and case do not matter')
  t.equal(networkOf('2001:db8::1'), 'v6-2001-db8-0-0', ':: stands for the missing groups')
  t.equal(networkOf('2001:db8:0:42::'), 'v6-2001-db8-0-42', 'also at the end')
  t.equal(networkOf('2001:db8:0:0042:ffff::1'), networkOf('2001:db8::42:1:2:3:4'), 'two hosts of one /64')
  t.not(networkOf('2001:db8:0:42::1'), networkOf('2001:db8:0:43::1'), 'the next /64 is another network')
  t.equal(networkOf('::1'), 'v6-0-0-0-0')
  t.equal(networkOf('::'), 'v6-0-0-0-0')
  t.equal(networkOf('fe80::1:2:3:4'), 'v6-fe80-0-0-0')
})

t.test('anything else is one "unknown" network', async (t) => {
  for (const text of ['', 'localhost', '203.0.113', '203.0.113.256', '2001:db8:::1', '1:2:3:4:5:6:7:8:9']) t.equal(networkOf(text), 'unknown', JSON.stringify(text))
})

t.test('every key can be a MongoDB field name', async (t) => {
  for (const ip of ['203.0.113.77', '::ffff:10.0.0.1', '2001:db8::1', '::1', 'junk']) t.match(networkOf(ip), /^[a-z0-9-]+$/, ip)
})
