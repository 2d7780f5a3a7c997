// The page's sections and the per-form plumbing: field errors, the message under each
// form, focus, busy state. The sections are in index.html; this only shows and fills them.
import type { Field, FieldError } from './validation.js'

export type ViewName = 'register' | 'activate' | 'signin' | 'profile'

const titles: Record<ViewName, string> = {
  register: 'Create an account',
  activate: 'Activate your account',
  signin: 'Sign in',
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

/** One form with its fields, its success (role=status) and error (role=alert) message. */
export class FormView {
  readonly form: HTMLFormElement
  readonly #status: HTMLElement
  readonly #alert: HTMLElement

  constructor (readonly prefix: string) {
    this.form = byId<HTMLFormElement>(`${prefix}-form`)
    this.#status = byId(`${prefix}-status`)
    this.#alert = byId(`${prefix}-alert`)
    // A field's error goes away as soon as the person edits it.
    this.form.addEventListener('input', (event) => {
      const input = event.target
      if (input instanceof HTMLInputElement) this.#markField(input, undefined)
    })
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
    if (errors.length > 0) this.input(errors[0]!.field).focus()
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
    if (field !== undefined) this.input(field).focus()
    else this.#alert.focus()
  }

  success (text: string): void {
    this.#alert.textContent = ''
    this.#status.textContent = text
  }

  /** While a request runs: the submit button is disabled and the form says it is busy. */
  async busy<T> (work: () => Promise<T>): Promise<T> {
    const submit = this.form.querySelector<HTMLButtonElement>('button[type=submit]')
    this.form.setAttribute('aria-busy', 'true')
    if (submit !== null) submit.disabled = true
    try {
      return await work()
    } finally {
      this.form.removeAttribute('aria-busy')
      if (submit !== null) submit.disabled = false
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
