// The page's client-side checks, which must agree with the API's rules.
import t from 'tap'
import {
  checkActivation, checkCode, checkConfirmation, checkDeletion, checkEmail, checkForgot, checkNewPassword, checkPasswordChange,
  checkRegistration, checkReset, checkSignIn, codePointLength, normalizeEmail
} from '../src/validation.js'
import { basicAuthorization } from '../src/api.js'

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

t.test('forgotten password: the address, then the code and a new password chosen by the same rules', async (t) => {
  t.same(checkForgot({ email: 'nope' }).map((e) => e.field), ['email'])
  t.same(checkForgot({ email: ' A@B.co ' }), [])
  t.same(checkReset({ email: 'a@b.co', code: '12', password: 'short', confirm: 'other' }, 4).map((e) => e.field), ['code', 'password', 'confirm'])
  t.match(checkReset({ email: '', code: '1234', password: 'long enough', confirm: 'long enough' }, 4), [{ field: 'email', message: 'Enter your email address.' }])
  t.same(checkReset({ email: 'a@b.co', code: '123456', password: 'long enough', confirm: 'long enough' }, 6), [])
})

t.test('changing the password: the current one is only required, the new one follows the rules', async (t) => {
  t.same(checkPasswordChange({ current: '', password: '1234567', confirm: '1234567' }), [
    { field: 'current', message: 'Enter your password.' },
    { field: 'password', message: 'Use at least 8 characters for your password (this one has 7).' }
  ])
  t.same(checkPasswordChange({ current: 'x', password: 'long enough', confirm: 'long enougH' }).map((e) => e.field), ['confirm'])
  t.same(checkPasswordChange({ current: 'x', password: 'long enough', confirm: 'long enough' }), [])
})

t.test('deleting the account is confirmed with the password', async (t) => {
  t.same(checkDeletion({ current: '' }), [{ field: 'current', message: 'Enter your password.' }])
  t.same(checkDeletion({ current: ' ' }), [], 'a password is never trimmed')
})

t.test('Basic credentials are UTF-8 encoded', async (t) => {
  t.equal(basicAuthorization({ email: 'a@b.co', password: 'pässwörd' }), `Basic ${Buffer.from('a@b.co:pässwörd', 'utf8').toString('base64')}`)
})
