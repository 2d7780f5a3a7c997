// Entry point: wires the four sections together and restores a session from the refresh cookie.
import { readConfig } from './config.js'
import { setUpActivate, type ActivateForm } from './forms/activate.js'
import { setUpProfile } from './forms/profile.js'
import { setUpRegister } from './forms/register.js'
import { setUpSignIn, type SignInForm } from './forms/signin.js'
import { currentUser } from './session.js'
import { byId, showView, type ViewName } from './views.js'

const { codeLength } = readConfig()

// The forms hand people on to each other; the getter breaks the circle.
const profile = setUpProfile(codeLength, () => signIn)
const activate: ActivateForm = setUpActivate(codeLength, () => signIn)
const signIn: SignInForm = setUpSignIn(codeLength, () => activate, profile)
setUpRegister(codeLength, activate)

for (const link of document.querySelectorAll<HTMLButtonElement>('[data-view]')) {
  link.addEventListener('click', () => { showView(link.dataset['view'] as ViewName) })
}

// The development inbox link is written at build time; without one, it is left out.
const inbox = byId<HTMLAnchorElement>('inbox-link')
if (inbox.getAttribute('href') === '' || inbox.getAttribute('href') === null) inbox.parentElement!.hidden = true

// A refresh cookie from an earlier visit signs the person straight in.
currentUser()
  .then((user) => { profile.show(user) })
  .catch(() => { showView('register', { focus: false }) })
