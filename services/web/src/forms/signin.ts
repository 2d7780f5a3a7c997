import { showFailure } from '../failures.js'
import { refusedWith } from '../messages.js'
import { currentUser, signIn } from '../session.js'
import { checkSignIn, normalizeEmail } from '../validation.js'
import { byId, FormView, showView } from '../views.js'
import type { ActivateForm } from './activate.js'
import type { ForgotForm } from './password-reset.js'
import type { ProfileView } from './profile.js'

export interface SignInForm {
  view: FormView
  /** Arrive here with the email filled in and a message (after activating, signing out, a new password). */
  prime: (email: string, message: string) => void
}

export function setUpSignIn (codeLength: number, activate: () => ActivateForm, forgot: () => ForgotForm, profile: ProfileView): SignInForm {
  const view = new FormView('signin')

  view.onSubmit(() => {
    const input = { email: view.value('email'), password: view.value('password') }
    if (!view.showFieldErrors(checkSignIn(input))) return
    void view.busy(async () => {
      const credentials = { email: normalizeEmail(input.email), password: input.password }
      try {
        await signIn(credentials)
        const user = await currentUser()
        view.form.reset()
        profile.show(user)
      } catch (error) {
        showFailure(view, error, codeLength)
        // Make the next step easy: the activation form is ready with the same credentials.
        if (refusedWith(error, 'ACCOUNT_NOT_ACTIVATED')) {
          activate().view.input('email').value = credentials.email
          activate().view.input('password').value = credentials.password
        }
      }
    })
  })

  // The address typed here goes along to the forgotten-password form.
  byId('signin-forgot').addEventListener('click', () => { forgot().prime(view.value('email')) })

  return {
    view,
    prime (email, message) {
      view.reset()
      view.input('email').value = email
      view.input('password').value = ''
      showView('signin', { focus: false })
      view.success(message)
      view.input(email === '' ? 'email' : 'password').focus()
    }
  }
}
