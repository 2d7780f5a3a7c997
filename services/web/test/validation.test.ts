// The page's client-side checks, which must agree with the API's rules.
import t from 'tap'
import {
  checkActivation, checkCode, checkConfirmation, checkEmail, checkNewPassword, checkRegistration, checkSignIn,
  codePointLength, normalizeEmail
} from '../src/validation.js'
import { describeFailure, sentences } from '../src/messages.js'
import { ApiFailure, basicAuthorization } from '../src/api.js'

t.test('email: required, plausible, normalised like the API', async (t) => {
  t.equal(checkEmail(''), 'Enter your email address.')
  t.equal(checkEmail('   '), 'Enter your email address.')
  t.match(checkEmail('foo'), /valid email/)
  t.match(checkEmail('foo@bar'), /valid email/, 'a dotted domain is required')
  t.match(checkEmail('a b@bar.com'), /valid email/)
  t.match(checkEmail('a@@bar.com'), /valid email/)
  t.equal(checkEmail('  Foo@Bar.COM '), undefined)
  t.equal(checkEmail('zoe@exämple.de'), undefined, 'an internationalised domain is fine (sent as punycode)')
  t.match(checkEmail('zoë@example.de'), /valid email/, 'a non-ASCII local part cannot be mailed safely')
  t.equal(normalizeEmail('  Foo@Bar.COM '), 'foo@bar.com')
})

t.test('new password: 8 to 256 code points, never trimmed', async (t) => {
  t.equal(checkNewPassword(''), 'Choose a password.')
  t.match(checkNewPassword('1234567'), /at least 8 characters .*has 7/)
  t.equal(checkNewPassword('12345678'), undefined)
  t.equal(checkNewPassword('       x'), undefined, 'spaces count')
  t.equal(codePointLength('😀😀😀😀'), 4)
  t.match(checkNewPassword('😀😀😀😀😀😀😀'), /at least 8/, 'seven emoji are 14 UTF-16 units but 7 characters')
  t.equal(checkNewPassword('😀'.repeat(256)), undefined)
  t.match(checkNewPassword('😀'.repeat(257)), /at most 256 .*has 257/)
})

t.test('confirmation must match', async (t) => {
  t.match(checkConfirmation('password1', ''), /again/)
  t.equal(checkConfirmation('password1', 'password2'), 'The two passwords do not match.')
  t.equal(checkConfirmation('password1', 'password1'), undefined)
})

t.test('code: exactly N ASCII digits', async (t) => {
  t.match(checkCode('', 4), /4-digit code/)
  t.match(checkCode('123', 4), /exactly 4 digits/)
  t.match(checkCode('12345', 4), /exactly 4 digits/)
  t.match(checkCode('12a4', 4), /exactly 4 digits/)
  t.match(checkCode('١٢٣٤', 4), /exactly 4 digits/, 'Arabic-Indic digits are not ASCII digits')
  t.equal(checkCode('0427', 4), undefined)
  t.equal(checkCode(' 0427 ', 4), undefined, 'a pasted code with spaces around it')
  t.equal(checkCode('042713', 6), undefined)
})

t.test('forms report every invalid field, in page order', async (t) => {
  t.same(checkRegistration({ email: '', password: 'short', confirm: 'x' }).map((e) => e.field), ['email', 'password', 'confirm'])
  t.same(checkRegistration({ email: 'a@b.co', password: 'long enough', confirm: 'long enough' }), [])
  t.same(checkActivation({ email: 'a@b.co', password: '', code: '12' }, 4).map((e) => e.field), ['password', 'code'])
  t.same(checkSignIn({ email: 'a@b.co', password: 'x' }), [], 'sign-in does not judge an existing password')
})

t.test('every documented error code has a sentence', async (t) => {
  const documented = [
    'EMAIL_INVALID', 'PASSWORD_TOO_SHORT', 'PASSWORD_TOO_LONG', 'PASSWORD_TOO_COMMON', 'VALIDATION_FAILED', 'EMAIL_TAKEN',
    'CODE_MAIL_LIMIT', 'BUSY', 'INVALID_CREDENTIALS', 'AUTH_REQUIRED', 'CODE_MISSING', 'CODE_MALFORMED', 'CODE_INVALID',
    'CODE_EXPIRED', 'CODE_EXHAUSTED', 'ALREADY_ACTIVATED', 'ACCOUNT_DISABLED', 'RESEND_TOO_SOON', 'ACCOUNT_NOT_ACTIVATED',
    'ACCOUNT_LOCKED', 'REFRESH_INVALID', 'REFRESH_REUSED', 'TOKEN_MISSING', 'TOKEN_INVALID', 'TOKEN_EXPIRED'
  ]
  for (const code of documented) t.ok(sentences[code], code)
  const context = { codeLength: 4 }
  t.equal(describeFailure(new ApiFailure(403, 'CODE_INVALID', 'Wrong code.', { attempts_left: 1 }), context), 'That code is not right. 1 attempt left.')
  t.equal(describeFailure(new ApiFailure(429, 'RESEND_TOO_SOON', '', {}, 12), context), 'You can ask for a new code in 12 seconds.')
  t.equal(describeFailure(new ApiFailure(429, 'ACCOUNT_LOCKED', '', {}, 90), context), 'Too many failed sign-ins. This account is locked; try again in 2 minutes.')
  t.equal(describeFailure(new ApiFailure(400, 'SOMETHING_NEW', 'The server says so.'), context), 'The server says so.', 'unknown codes fall back to the server message')
  t.match(describeFailure(new ApiFailure(502, 'HTTP_502', 'Bad Gateway'), context), /on our side/)
})

t.test('Basic credentials are UTF-8 encoded', async (t) => {
  t.equal(basicAuthorization({ email: 'a@b.co', password: 'pässwörd' }), `Basic ${Buffer.from('a@b.co:pässwörd', 'utf8').toString('base64')}`)
})
