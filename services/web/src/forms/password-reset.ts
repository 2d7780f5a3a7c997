// Forgotten password: ask for a code by email, then choose a new password with it. The API
// answers the request for a code the same way whether or not the address has an account: with
// how long a code lives and when another may be asked for, which the countdowns run from (a
// request inside the wait is dropped silently, again so as to reveal nothing).
import { api, secondsFromNow } from '../api.js'
import type { PageConfig } from '../config.js'
import { CodeClocks } from '../countdown.js'
import { showFailure } from '../failures.js'
import { refusedWith } from '../messages.js'
import { checkForgot, checkReset, normalizeEmail } from '../validation.js'
import { byId, FormView, showView } from '../views.js'
import type { SignInForm } from './signin.js'

export interface ForgotForm {
  /** Arrive here with the address typed elsewhere (the sign-in form). */
  prime: (email: string) => void
}

export function setUpPasswordReset ({ resetCodeLength: codeLength }: PageConfig, signIn: () => SignInForm): ForgotForm {
  const forgot = new FormView('forgot')
  const reset = new FormView('reset')
  const resendButton = byId<HTMLButtonElement>('reset-resend')
  const clocks = new CodeClocks(byId('reset-code-timer'), resendButton, byId('reset-resend-hint'))

  reset.input('code').setAttribute('maxlength', String(codeLength))
  reset.input('code').setAttribute('pattern', `[0-9]{${codeLength}}`)

  /** Asks for a code; the API's message when it took the request (which says nothing about the account). */
  async function requestCode (view: FormView, email: string): Promise<string | undefined> {
    try {
      const requested = await api.forgotPassword(normalizeEmail(email))
      clocks.codeValidUntil(secondsFromNow(requested.code_ttl_seconds))
      clocks.resendAvailableAt(secondsFromNow(requested.resend_interval_seconds))
      return requested.message
    } catch (error) {
      if (refusedWith(error, 'RATE_LIMITED') && error.retryAfterSeconds !== undefined) clocks.resendAvailableAt(secondsFromNow(error.retryAfterSeconds))
      showFailure(view, error, codeLength)
      return undefined
    }
  }

  function showReset (email: string): void {
    reset.reset()
    reset.form.reset()
    reset.input('email').value = normalizeEmail(email)
    showView('reset', { focus: false })
  }

  forgot.onSubmit(() => {
    const email = forgot.value('email')
    if (!forgot.showFieldErrors(checkForgot({ email }))) return
    void forgot.busy(async () => {
      const message = await requestCode(forgot, email)
      if (message === undefined) return
      showReset(email)
      reset.success(`${message} Enter the ${codeLength}-digit code and a new password.`)
      reset.input('code').focus()
    })
  })

  // Back from the mail with a code already: straight to the second step, no clocks to show.
  byId('forgot-have-code').addEventListener('click', () => {
    clocks.stop()
    showReset(forgot.value('email'))
    reset.input(reset.value('email') === '' ? 'email' : 'code').focus()
  })

  resendButton.addEventListener('click', () => {
    if (clocks.resendWaits || reset.isBusy) return
    reset.reset()
    const email = reset.value('email')
    if (!reset.showFieldErrors(checkForgot({ email }))) return
    void reset.busy(async () => {
      const message = await requestCode(reset, email)
      if (message === undefined) return
      reset.input('code').value = ''
      reset.input('code').focus()
      reset.success(`${message} Enter the new code; an earlier one no longer works.`)
    })
  })

  reset.onSubmit(() => {
    const input = { email: reset.value('email'), code: reset.value('code'), password: reset.value('password'), confirm: reset.value('confirm') }
    if (!reset.showFieldErrors(checkReset(input, codeLength))) return
    void reset.busy(async () => {
      const email = normalizeEmail(input.email)
      try {
        const { message } = await api.resetPassword(email, input.code.trim(), input.password)
        clocks.stop()
        reset.form.reset()
        signIn().prime(email, message)
      } catch (error) {
        showFailure(reset, error, codeLength)
      }
    })
  })

  return {
    prime (email) {
      forgot.reset()
      forgot.input('email').value = normalizeEmail(email)
      showView('forgot')
    }
  }
}
