import type { PasswordChangeHow, PasswordChangedData } from '@latchkey/shared'
import { escapeHtml, type ComposedMail } from './code-mail.js'

const forgotPassword = 'choose a new password with "Forgot password" on the sign-in page'

const wording: Record<PasswordChangeHow, { subject: string, what: (account: string) => string, advice: string }> = {
  changed: {
    subject: 'Your Latchkey password was changed',
    what: (account) => `The password of your Latchkey account ${account} was changed`,
    advice: `If it was you, there is nothing more to do. If it wasn't, someone else knows your password: ${forgotPassword} now.`
  },
  reset: {
    subject: 'Your Latchkey password was reset',
    what: (account) => `The password of your Latchkey account ${account} was reset through a code mailed to this address`,
    advice: `If it was you, there is nothing more to do. If it wasn't, someone else can read this mailbox: secure it, then ${forgotPassword}.`
  },
  operator: {
    subject: 'Your Latchkey password was set by an administrator',
    what: (account) => `An administrator set a new password for your Latchkey account ${account}`,
    advice: 'If you did not ask for this, contact your Latchkey administrator.'
  }
}

const utc = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'long', timeZone: 'UTC' })

/** When it happened, in UTC (the reader's time zone is not known): `4 December 2026 at 21:12:31 UTC`. */
export function describeTime (time: string): string {
  return utc.format(new Date(time))
}

/**
 * Renders the notice to the owner of an account whose password was set (NIST SP 800-63B-4
 * §4.2.3). It carries no code and no link: what happened, when, and what to do if it was not them.
 */
export function composePasswordNotice (data: PasswordChangedData, time: string): ComposedMail {
  const { subject, what, advice } = wording[data.how]
  const happened = `${what(data.email)} on ${describeTime(time)}.`
  const signedOut = 'Every session of the account was signed out.'

  const text = [
    happened,
    signedOut,
    '',
    advice,
    ''
  ].join('\n')

  const html = [
    '<!doctype html>',
    '<html><body style="font-family: sans-serif">',
    `<p>${escapeHtml(happened)} ${escapeHtml(signedOut)}</p>`,
    `<p>${escapeHtml(advice)}</p>`,
    '</body></html>'
  ].join('\n')

  return { subject, text, html }
}
