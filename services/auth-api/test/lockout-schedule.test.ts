// The lockout schedule as arithmetic: none below the threshold, then doubling, capped.
import t from 'tap'
import { lockoutAfter, type LockoutPolicy } from '../src/credentials/sign-in-attempts.js'

const policy: LockoutPolicy = { threshold: 10, baseSeconds: 30, maxSeconds: 900 }

t.test('failures below the threshold lock nothing', async (t) => {
  for (const attempts of [0, 1, 9]) t.equal(lockoutAfter(attempts, policy), 0, `${attempts} failures`)
})

t.test('from the threshold on each failure doubles the wait, up to the cap', async (t) => {
  t.same([10, 11, 12, 13, 14, 15].map((attempts) => lockoutAfter(attempts, policy)), [30, 60, 120, 240, 480, 900])
  t.equal(lockoutAfter(16, policy), 900, 'capped')
  t.equal(lockoutAfter(10_000, policy), 900, 'still the cap, however long the guessing goes on')
})

t.test('the policy decides', async (t) => {
  t.equal(lockoutAfter(1, { threshold: 1, baseSeconds: 5, maxSeconds: 7 }), 5, 'a threshold of one locks at the first failure')
  t.equal(lockoutAfter(2, { threshold: 1, baseSeconds: 5, maxSeconds: 7 }), 7)
  t.equal(lockoutAfter(3, { threshold: 3, baseSeconds: 60, maxSeconds: 30 }), 30, 'a cap below the base wins')
})
