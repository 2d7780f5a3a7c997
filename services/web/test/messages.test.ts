// The sentences people read for each error code. Their keys are typed by the shared error
// catalog (a missing or misspelt code does not compile); this checks what the type cannot:
// every sentence reads as one, with the details the server sent.
import t from 'tap'
import { errorCatalog, errorCodes } from '../../../shared/src/error-catalog.js'
import { ApiFailure } from '../src/api.js'
import { describeFailure, failureFields, holdsTheForm, isFailureCode, refusedWith, sentences } from '../src/messages.js'

const context = { codeLength: 4 }
const failureOf = (code: keyof typeof errorCatalog, details: Record<string, unknown> = {}, retryAfter?: number): ApiFailure =>
  new ApiFailure(errorCatalog[code].status, code, errorCatalog[code].message, details, retryAfter)

t.test('every code of the catalog, and only those and the page\'s own, has a sentence', async (t) => {
  t.same(Object.keys(sentences).sort(), [...errorCodes, 'NETWORK_ERROR', 'UNEXPECTED_ANSWER'].sort())
  for (const code of errorCodes) {
    const text = describeFailure(failureOf(code), context)
    t.match(text, /^[A-Z].{10,}[.!]$/, `${code}: a sentence`)
    t.notMatch(text, /undefined|NaN|\[object/, `${code}: nothing left unfilled`)
  }
})

t.test('sentences carry what the server said: attempts left, when to retry, the code length', async (t) => {
  t.equal(describeFailure(failureOf('CODE_INVALID', { attempts_left: 1 }), context), 'That code is not right. 1 attempt left.')
  t.equal(describeFailure(failureOf('CODE_INVALID', { attempts_left: 3 }), context), 'That code is not right. 3 attempts left.')
  t.equal(describeFailure(failureOf('RESEND_TOO_SOON', {}, 12), context), 'You can ask for a new code in 12 seconds.')
  t.equal(describeFailure(failureOf('ACCOUNT_LOCKED', {}, 90), context), 'Too many failed attempts with this address. It is locked; try again in 2 minutes.')
  t.equal(describeFailure(failureOf('RATE_LIMITED', {}, 1), context), 'Too many requests from your network. Try again in 1 second.')
  t.equal(describeFailure(failureOf('CODE_MALFORMED'), { codeLength: 6 }), 'The code is exactly 6 digits.')
  t.equal(describeFailure(failureOf('VALIDATION_FAILED', { field: 'new_password' }), context), 'Check the new password field and try again.')
})

t.test('a reset code refused says nothing about whether the address has an account', async (t) => {
  const text = describeFailure(failureOf('CODE_REJECTED'), context)
  t.notMatch(text, /account|address|email address/i)
  t.equal(failureFields.CODE_REJECTED, 'code')
})

t.test('codes this page does not know fall back to the server\'s message; answers without a code by status', async (t) => {
  t.notOk(isFailureCode('SOMETHING_NEW'))
  t.equal(describeFailure(new ApiFailure(400, 'SOMETHING_NEW', 'The server says so.'), context), 'The server says so.')
  t.match(describeFailure(new ApiFailure(502, 'UNEXPECTED_ANSWER', 'Bad Gateway'), context), /on our side/)
  t.equal(describeFailure(new ApiFailure(429, 'UNEXPECTED_ANSWER', '', {}, 5), context), 'Too many requests. Try again in 5 seconds.')
  t.match(describeFailure(new ApiFailure(0, 'NETWORK_ERROR', ''), context), /cannot be reached/)
})

t.test('refusedWith matches the codes given, and only API failures', async (t) => {
  t.ok(refusedWith(failureOf('TOKEN_EXPIRED'), 'TOKEN_REVOKED', 'TOKEN_EXPIRED'))
  t.notOk(refusedWith(failureOf('TOKEN_EXPIRED'), 'TOKEN_REVOKED'))
  t.notOk(refusedWith(new Error('TOKEN_EXPIRED'), 'TOKEN_EXPIRED'))
})

t.test('a 429 with Retry-After holds the submit button, except where a resend button waits instead', async (t) => {
  t.ok(holdsTheForm(failureOf('ACCOUNT_LOCKED', {}, 30)))
  t.ok(holdsTheForm(failureOf('RATE_LIMITED', {}, 2)))
  t.ok(holdsTheForm(failureOf('CODE_MAIL_LIMIT', {}, 3600)))
  t.notOk(holdsTheForm(failureOf('RESEND_TOO_SOON', {}, 20)))
  t.notOk(holdsTheForm(failureOf('CODE_EXHAUSTED', {}, 20)))
  t.notOk(holdsTheForm(failureOf('ACCOUNT_LOCKED')), 'no Retry-After: nothing to count down')
  t.notOk(holdsTheForm(failureOf('INVALID_PASSWORD')))
})
