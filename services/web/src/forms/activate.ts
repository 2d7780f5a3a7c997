import { api, secondsFromNow, type Credentials, type PendingCode } from '../api.js'
import { CodeClocks } from '../countdown.js'
import { showFailure } from '../failures.js'
import { refusedWith } from '../messages.js'
import { checkActivation, checkResend, normalizeEmail } from '../validation.js'
import { byId, FormView, showView } from '../views.js'
import type { SignInForm } from './signin.js'

export interface ActivateForm {
  view: FormView
  /** Arrive here after registering (or a refused sign-in): fields filled, countdowns running. */
  prime: (credentials: Credentials, pending: PendingCode | undefined, message: string) => void
}

export function setUpActivate (codeLength: number, signIn: () => SignInForm): ActivateForm {
  const view = new FormView('activate')
  const resendButton = byId<HTMLButtonElement>('activate-resend')
  const clocks = new CodeClocks(byId('activate-code-timer'), resendButton, byId('activate-resend-hint'))

  view.input('code').setAttribute('maxlength', String(codeLength))
  view.input('code').setAttribute('pattern', `[0-9]{${codeLength}}`)

  function showPending (pending: PendingCode): void {
    clocks.codeValidUntil(new Date(pending.code_expires_at))
    clocks.resendAvailableAt(new Date(pending.resend_available_at))
  }

  function credentials (): Credentials {
    return { email: normalizeEmail(view.value('email')), password: view.value('password') }
  }

  view.onSubmit(() => {
    const input = { email: view.value('email'), password: view.value('password'), code: view.value('code') }
    if (!view.showFieldErrors(checkActivation(input, codeLength))) return
    void view.busy(async () => {
      try {
        const activated = await api.verify(credentials(), input.code.trim())
        const { email } = credentials()
        clocks.stop()
        view.form.reset()
        signIn().prime(email, activated.message)
      } catch (error) {
        if (refusedWith(error, 'CODE_EXPIRED', 'CODE_EXHAUSTED')) clocks.codeValidUntil(new Date(0))
        if (refusedWith(error, 'CODE_EXHAUSTED') && error.retryAfterSeconds !== undefined) {
          clocks.resendAvailableAt(secondsFromNow(error.retryAfterSeconds))
        }
        if (refusedWith(error, 'ALREADY_ACTIVATED')) clocks.stop()
        showFailure(view, error, codeLength)
      }
    })
  })

  resendButton.addEventListener('click', () => {
    if (clocks.resendWaits || view.isBusy) return
    view.reset()
    if (!view.showFieldErrors(checkResend({ email: view.value('email'), password: view.value('password') }))) return
    void view.busy(async () => {
      try {
        const sent = await api.resend(credentials())
        showPending(sent)
        view.input('code').value = ''
        view.input('code').focus()
        view.success(`${sent.message} Enter the new code; the old one no longer works.`)
      } catch (error) {
        if (refusedWith(error, 'RESEND_TOO_SOON') && error.retryAfterSeconds !== undefined) {
          clocks.resendAvailableAt(secondsFromNow(error.retryAfterSeconds))
        }
        showFailure(view, error, codeLength)
      }
    })
  })

  return {
    view,
    prime (given, pending, message) {
      view.reset()
      view.input('email').value = given.email
      view.input('password').value = given.password
      view.input('code').value = ''
      if (pending === undefined) clocks.stop()
      else showPending(pending)
      showView('activate', { focus: false })
      view.success(message)
      view.input(given.password === '' ? 'password' : 'code').focus()
    }
  }
}
