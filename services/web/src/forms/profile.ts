// The signed-in view: the account, signing out (here or everywhere), changing the password and
// deleting the account. The last three end every session, so each hands over to another view.
import type { User } from '../api.js'
import { failureText, showFailure } from '../failures.js'
import { describeFailure, refusedWith } from '../messages.js'
import { changePassword, deleteAccount, signOut, signOutEverywhere } from '../session.js'
import { checkDeletion, checkPasswordChange } from '../validation.js'
import { byId, FormView, showView } from '../views.js'
import type { RegisterForm } from './register.js'
import type { SignInForm } from './signin.js'

export interface ProfileView {
  show: (user: User) => void
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'long', timeStyle: 'short' })

function formatDate (iso: string): string {
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : dateFormat.format(date)
}

export function setUpProfile (codeLength: number, signIn: () => SignInForm, register: () => RegisterForm): ProfileView {
  const status = byId('profile-status')
  const alert = byId('profile-alert')
  const change = new FormView('change')
  const deletion = new FormView('delete')
  const email = (): string => byId('profile-email').textContent ?? ''

  /** A request refused because the session ended meanwhile (signed out elsewhere): sign in again. */
  function endedSession (error: unknown): boolean {
    if (!refusedWith(error, 'TOKEN_MISSING', 'TOKEN_INVALID', 'TOKEN_EXPIRED', 'TOKEN_REVOKED', 'REFRESH_INVALID', 'REFRESH_REUSED')) return false
    signIn().prime(email(), describeFailure(error, { codeLength }))
    return true
  }

  /** A button of this view that runs one request; its result or error is said under the account details. */
  function onPress (id: string, action: () => Promise<void>, failurePrefix: string): void {
    const button = byId<HTMLButtonElement>(id)
    button.addEventListener('click', () => {
      if (button.getAttribute('aria-busy') === 'true') return
      button.setAttribute('aria-busy', 'true')
      status.textContent = ''
      alert.textContent = ''
      action()
        .catch((error: unknown) => {
          if (endedSession(error)) return
          alert.textContent = `${failurePrefix} ${failureText(error, codeLength).text}`
          alert.focus()
        })
        .finally(() => { button.removeAttribute('aria-busy') })
    })
  }

  onPress('signout-button', async () => {
    await signOut()
    signIn().prime(email(), 'You are signed out.')
  }, 'Signing out did not finish.')

  onPress('signout-everywhere-button', async () => {
    const message = await signOutEverywhere()
    signIn().prime(email(), `${message} Sign in again on each device you use.`)
  }, 'Signing out everywhere did not finish.')

  change.onSubmit(() => {
    const input = { current: change.value('current'), password: change.value('password'), confirm: change.value('confirm') }
    if (!change.showFieldErrors(checkPasswordChange(input))) return
    void change.busy(async () => {
      try {
        const message = await changePassword(input.current, input.password)
        change.form.reset()
        signIn().prime(email(), message)
      } catch (error) {
        if (!endedSession(error)) showFailure(change, error, codeLength)
      }
    })
  })

  deletion.onSubmit(() => {
    const input = { current: deletion.value('current') }
    if (!deletion.showFieldErrors(checkDeletion(input))) return
    void deletion.busy(async () => {
      try {
        const message = await deleteAccount(input.current)
        deletion.form.reset()
        register().prime(message)
      } catch (error) {
        if (!endedSession(error)) showFailure(deletion, error, codeLength)
      }
    })
  })

  return {
    show (user) {
      byId('profile-email').textContent = user.email
      byId('profile-id').textContent = user.id
      byId('profile-activated').textContent = user.activated ? 'Yes' : 'No'
      byId('profile-roles').textContent = user.roles.length > 0 ? user.roles.join(', ') : 'none'
      byId('profile-created').textContent = formatDate(user.created_at)
      status.textContent = ''
      alert.textContent = ''
      change.reset()
      deletion.reset()
      showView('profile')
    }
  }
}
