// The page's sections and the per-form plumbing: field errors, the message under each
// form, focus, busy state. The sections are in index.html; this only shows and fills them.
import { countdown, formatSeconds, type Countdown } from './countdown.js'
import type { Field, FieldError } from './validation.js'

export type ViewName = 'register' | 'activate' | 'signin' | 'forgot' | 'reset' | 'profile'

const titles: Record<ViewName, string> = {
  register: 'Create an account',
  activate: 'Activate your account',
  signin: 'Sign in',
  forgot: 'Forgot your password',
  reset: 'Choose a new password',
  profile: 'Your account'
}

export function byId<T extends HTMLElement = HTMLElement> (id: string): T {
  const element = document.getElementById(id)
  if (element === null) throw new Error(`index.html has no #${id}`)
  return element as T
}

/** Shows one section, hides the others, and (by default) moves focus to its heading. */
export function showView (name: ViewName, { focus = true }: { focus?: boolean } = {}): void {
  for (const view of Object.keys(titles) as ViewName[]) byId(`view-${view}`).hidden = view !== name
  byId('loading').hidden = true
  byId('nav').hidden = name === 'profile'
  for (const link of document.querySelectorAll<HTMLButtonElement>('.nav-link')) {
    if (link.dataset['view'] === name) link.setAttribute('aria-current', 'page')
    else link.removeAttribute('aria-current')
  }
  document.title = `${titles[name]} · Latchkey`
  if (focus) byId(`${name}-title`).focus()
}

/** Focuses a field and selects what it holds, so typing replaces the value that was refused. */
function focusField (input: HTMLInputElement): void {
  input.focus()
  input.select()
}

/**
 * One form with its fields, its success (role=status) and error (role=alert) message, and the
 * hint under its submit button that counts down a Retry-After.
 */
export class FormView {
  readonly form: HTMLFormElement
  readonly #status: HTMLElement
  readonly #alert: HTMLElement
  readonly #submit: HTMLButtonElement
  readonly #wait: HTMLElement
  #hold: Countdown | undefined

  constructor (readonly prefix: string) {
    this.form = byId<HTMLFormElement>(`${prefix}-form`)
    this.#status = byId(`${prefix}-status`)
    this.#alert = byId(`${prefix}-alert`)
    this.#submit = this.form.querySelector<HTMLButtonElement>('button[type=submit]')!
    this.#wait = byId(`${prefix}-wait`)
    // A field's error goes away as soon as the person edits it.
    this.form.addEventListener('input', (event) => {
      const input = event.target
      if (input instanceof HTMLInputElement) this.#markField(input, undefined)
    })
  }

  /**
   * Runs `handler` on submit (Enter in a field, or the button), with the messages cleared;
   * not while a request runs or while the server asked to wait.
   */
  onSubmit (handler: () => void): void {
    this.form.addEventListener('submit', (event) => {
      event.preventDefault()
      if (this.isBusy || this.#submit.getAttribute('aria-disabled') === 'true') return
      this.reset()
      handler()
    })
  }

  /** The server said when to try again (Retry-After): the submit button waits until then, saying so. */
  holdUntil (at: Date): void {
    this.#hold?.stop()
    this.#submit.setAttribute('aria-disabled', 'true')
    this.#hold = countdown(at,
      (left) => { this.#wait.textContent = left > 0 ? `You can try again in ${formatSeconds(left)}.` : '' },
      () => { this.#submit.removeAttribute('aria-disabled') })
  }

  input (field: Field): HTMLInputElement {
    return byId<HTMLInputElement>(`${this.prefix}-${field}`)
  }

  value (field: Field): string {
    return this.input(field).value
  }

  /** Clears every message and field error. */
  reset (): void {
    this.#status.textContent = ''
    this.#alert.textContent = ''
    for (const input of this.form.querySelectorAll('input')) this.#markField(input, undefined)
  }

  /** Marks the fields and focuses the first one; true when there was nothing to mark. */
  showFieldErrors (errors: FieldError[]): boolean {
    for (const { field, message } of errors) this.#markField(this.input(field), message)
    if (errors.length > 0) focusField(this.input(errors[0]!.field))
    return errors.length === 0
  }

  /**
   * The error sentence under the form. When it is about one field, that field is marked
   * invalid (the sentence stays under the form, not repeated) and gets the focus.
   */
  error (text: string, { field, focus = true }: { field?: Field | undefined, focus?: boolean } = {}): void {
    this.#status.textContent = ''
    this.#alert.textContent = text
    if (field !== undefined) this.input(field).setAttribute('aria-invalid', 'true')
    if (!focus) return
    if (field !== undefined) focusField(this.input(field))
    else this.#alert.focus()
  }

  /** The success sentence under the form; `focus` moves there when no field is the next step. */
  success (text: string, { focus = false }: { focus?: boolean } = {}): void {
    this.#alert.textContent = ''
    this.#status.textContent = text
    if (focus) this.#status.focus()
  }

  /** Whether a request of this form is running (see busy). */
  get isBusy (): boolean {
    return this.form.getAttribute('aria-busy') === 'true'
  }

  /** While a request runs: the submit button is disabled and the form says it is busy. */
  async busy<T> (work: () => Promise<T>): Promise<T> {
    this.form.setAttribute('aria-busy', 'true')
    this.#submit.disabled = true
    try {
      return await work()
    } finally {
      this.form.removeAttribute('aria-busy')
      this.#submit.disabled = false
    }
  }

  #markField (input: HTMLInputElement, message: string | undefined): void {
    const errorText = document.getElementById(`${input.id}-error`)
    if (message === undefined) input.removeAttribute('aria-invalid')
    else input.setAttribute('aria-invalid', 'true')
    if (errorText !== null) {
      errorText.textContent = message ?? ''
      errorText.hidden = message === undefined
    }
  }
}
