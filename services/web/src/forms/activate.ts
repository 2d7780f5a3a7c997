import { api, ApiFailure, serverNow, type Credentials, type PendingCode } from '../api.js'
import { countdown, formatSeconds, type Countdown } from '../countdown.js'
import { showFailure } from '../failures.js'
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
  const codeTimer = byId('activate-code-timer')
  const resendButton = byId<HTMLButtonElement>('resend-button')
  const resendHint = byId('resend-hint')
  let codeClock: Countdown | undefined
  let resendClock: Countdown | undefined

  view.input('code').setAttribute('maxlength', String(codeLength))
  view.input('code').setAttribute('pattern', `[0-9]{${codeLength}}`)

  function codeValidUntil (expiresAt: Date): void {
    codeClock?.stop()
    codeClock = countdown(expiresAt,
      (left) => { codeTimer.textContent = left > 0 ? `Code valid for ${formatSeconds(left)}.` : 'This code has expired. Send a new code.' })
  }

  // aria-disabled rather than disabled: the button stays focusable, so keyboard and
  // screen-reader users still find it and hear (aria-describedby) when it will work.
  function resendAvailableAt (at: Date): void {
    resendClock?.stop()
    resendButton.setAttribute('aria-disabled', 'true')
    resendClock = countdown(at,
      (left) => { resendHint.textContent = left > 0 ? `You can ask for a new code in ${formatSeconds(left)}.` : '' },
      () => { resendButton.removeAttribute('aria-disabled') })
  }

  function showPending (pending: PendingCode): void {
    codeValidUntil(new Date(pending.code_expires_at))
    resendAvailableAt(new Date(pending.resend_available_at))
  }

  function credentials (): Credentials {
    return { email: normalizeEmail(view.value('email')), password: view.value('password') }
  }

  function stopClocks (): void {
    codeClock?.stop()
    resendClock?.stop()
    codeTimer.textContent = ''
    resendHint.textContent = ''
    resendButton.removeAttribute('aria-disabled')
  }

  view.form.addEventListener('submit', (event) => {
    event.preventDefault()
    view.reset()
    const input = { email: view.value('email'), password: view.value('password'), code: view.value('code') }
    if (!view.showFieldErrors(checkActivation(input, codeLength))) return
    void view.busy(async () => {
      try {
        const activated = await api.verify(credentials(), input.code.trim())
        const { email } = credentials()
        stopClocks()
        view.form.reset()
        signIn().prime(email, activated.message)
      } catch (error) {
        if (error instanceof ApiFailure) {
          if (error.code === 'CODE_EXPIRED') codeValidUntil(new Date(0))
          if (error.code === 'CODE_EXHAUSTED') {
            codeValidUntil(new Date(0))
            if (error.retryAfterSeconds !== undefined) resendAvailableAt(new Date(serverNow() + error.retryAfterSeconds * 1000))
          }
          if (error.code === 'ALREADY_ACTIVATED') stopClocks()
        }
        showFailure(view, error, codeLength)
      }
    })
  })

  resendButton.addEventListener('click', () => {
    if (resendButton.getAttribute('aria-disabled') === 'true' || view.form.getAttribute('aria-busy') === 'true') return
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
        if (error instanceof ApiFailure && error.code === 'RESEND_TOO_SOON' && error.retryAfterSeconds !== undefined) {
          resendAvailableAt(new Date(serverNow() + error.retryAfterSeconds * 1000))
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
      if (pending === undefined) stopClocks()
      else showPending(pending)
      showView('activate', { focus: false })
      view.success(message)
      view.input(given.password === '' ? 'password' : 'code').focus()
    }
  }
}
