import type { User } from '../api.js'
import { failureText } from '../failures.js'
import { signOut } from '../session.js'
import { byId, showView } from '../views.js'
import type { SignInForm } from './signin.js'

export interface ProfileView {
  show: (user: User) => void
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'long', timeStyle: 'short' })

function formatDate (iso: string): string {
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : dateFormat.format(date)
}

export function setUpProfile (codeLength: number, signIn: () => SignInForm): ProfileView {
  const alert = byId('profile-alert')
  const button = byId<HTMLButtonElement>('signout-button')

  button.addEventListener('click', () => {
    button.disabled = true
    const email = byId('profile-email').textContent ?? ''
    signOut()
      .then(() => { signIn().prime(email, 'You are signed out.') })
      .catch((error: unknown) => {
        // The access token is gone from memory either way; the cookie may still be valid.
        alert.textContent = `Signing out did not finish. ${failureText(error, codeLength).text}`
        alert.focus()
      })
      .finally(() => { button.disabled = false })
  })

  return {
    show (user) {
      byId('profile-email').textContent = user.email
      byId('profile-id').textContent = user.id
      byId('profile-activated').textContent = user.activated ? 'Yes' : 'No'
      byId('profile-roles').textContent = user.roles.length > 0 ? user.roles.join(', ') : 'none'
      byId('profile-created').textContent = formatDate(user.created_at)
      alert.textContent = ''
      showView('profile')
    }
  }
}
