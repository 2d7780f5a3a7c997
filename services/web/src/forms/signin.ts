import { ApiFailure } from '../api.js'
import { showFailure } from '../failures.js'
import { currentUser, signIn } from '../session.js'
import { checkSignIn, normalizeEmail } from '../validation.js'
import { FormView, showView } from '../views.js'
import type { ActivateForm } from './activate.js'
import type { ProfileView } from './profile.js'

export interface SignInForm {
  view: FormView
  /** Arrive here with the email filled in and a message (after activating, after signing out). */
  prime: (email: string, message: string) => void
}

export function setUpSignIn (codeLength: number, activate: () => ActivateForm, profile: ProfileView): SignInForm {
  const view = new FormView('signin')

  view.form.addEventListener('submit', (event) => {
    event.preventDefault()
    view.reset()
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
        if (error instanceof ApiFailure && error.code === 'ACCOUNT_NOT_ACTIVATED') {
          activate().view.input('email').value = credentials.email
          activate().view.input('password').value = credentials.password
        }
      }
    })
  })

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
