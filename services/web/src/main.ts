// Entry point: wires the sections together and resumes a session from the refresh cookie.
import { readConfig } from './config.js'
import { failureText } from './failures.js'
import { setUpActivate, type ActivateForm } from './forms/activate.js'
import { setUpPasswordReset, type ForgotForm } from './forms/password-reset.js'
import { setUpProfile } from './forms/profile.js'
import { setUpRegister, type RegisterForm } from './forms/register.js'
import { setUpSignIn, type SignInForm } from './forms/signin.js'
import { currentUser, hasSessionCookie } from './session.js'
import { showView, type ViewName } from './views.js'

const config = readConfig()
const { codeLength } = config

// The forms hand people on to each other; the getters break the circles.
const profile = setUpProfile(codeLength, () => signIn, () => register)
const activate: ActivateForm = setUpActivate(codeLength, () => signIn)
const forgot: ForgotForm = setUpPasswordReset(config, () => signIn)
const signIn: SignInForm = setUpSignIn(codeLength, () => activate, () => forgot, profile)
const register: RegisterForm = setUpRegister(codeLength, activate)

for (const link of document.querySelectorAll<HTMLButtonElement>('[data-view]')) {
  link.addEventListener('click', () => { showView(link.dataset['view'] as ViewName) })
}

// The development inbox links are written at build time; without one, they are left out.
for (const inbox of document.querySelectorAll<HTMLAnchorElement>('a.inbox-link')) {
  if (inbox.getAttribute('href') === '' || inbox.getAttribute('href') === null) inbox.parentElement!.hidden = true
}

// A session cookie from an earlier visit signs the person straight in; a first visit asks nothing.
if (hasSessionCookie()) {
  currentUser()
    .then((user) => { profile.show(user) })
    .catch((error: unknown) => { signIn.prime('', failureText(error, codeLength).text) })
} else {
  showView('register', { focus: false })
}
