// Turns anything a request threw into a sentence (and the field it concerns) for a form.
import { ApiFailure, secondsFromNow } from './api.js'
import { describeFailure, failureFields, holdsTheForm, isFailureCode } from './messages.js'
import type { Field } from './validation.js'
import type { FormView } from './views.js'

export function failureText (error: unknown, codeLength: number): { text: string, field?: Field | undefined } {
  if (!(error instanceof ApiFailure)) {
    console.error(error)
    return { text: 'Something went wrong in this page. Reload it and try again.' }
  }
  return { text: describeFailure(error, { codeLength }), field: isFailureCode(error.code) ? failureFields[error.code] : undefined }
}

/** The sentence under the form, the field marked; after a 429, the submit button waits for Retry-After. */
export function showFailure (view: FormView, error: unknown, codeLength: number): void {
  const { text, field } = failureText(error, codeLength)
  // Only mark fields this form has (the sign-in form has no code field, for instance).
  const present = field !== undefined && view.form.querySelector(`#${view.prefix}-${field}`) !== null
  view.error(text, { field: present ? field : undefined })
  if (error instanceof ApiFailure && holdsTheForm(error)) view.holdUntil(secondsFromNow(error.retryAfterSeconds!))
}
