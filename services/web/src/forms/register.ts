import { api } from '../api.js'
import { showFailure } from '../failures.js'
import { checkRegistration } from '../validation.js'
import { FormView } from '../views.js'
import type { ActivateForm } from './activate.js'

export function setUpRegister (codeLength: number, activate: ActivateForm): FormView {
  const view = new FormView('register')
  view.form.addEventListener('submit', (event) => {
    event.preventDefault()
    view.reset()
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
  return view
}
