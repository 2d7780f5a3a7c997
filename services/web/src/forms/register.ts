import { api } from '../api.js'
import { showFailure } from '../failures.js'
import { checkRegistration } from '../validation.js'
import { FormView, showView } from '../views.js'
import type { ActivateForm } from './activate.js'

export interface RegisterForm {
  view: FormView
  /** Arrive here with a message (after deleting the account); focus goes to the message. */
  prime: (message: string) => void
}

export function setUpRegister (codeLength: number, activate: ActivateForm): RegisterForm {
  const view = new FormView('register')
  view.onSubmit(() => {
    const input = { email: view.value('email'), password: view.value('password'), confirm: view.value('confirm') }
    if (!view.showFieldErrors(checkRegistration(input))) return
    void view.busy(async () => {
      try {
        const registered = await api.register({ email: input.email, password: input.password })
        view.form.reset()
        activate.prime({ email: registered.email, password: input.password }, registered,
          `${registered.message} Enter the ${codeLength}-digit code below.`)
      } catch (error) {
        showFailure(view, error, codeLength)
      }
    })
  })
  return {
    view,
    prime (message) {
      view.reset()
      view.form.reset()
      showView('register', { focus: false })
      view.success(message, { focus: true })
    }
  }
}
