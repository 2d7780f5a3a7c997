import type { CodeDeliveryData, CodePurpose } from '@latchkey/shared'

export interface ComposedMail {
  subject: string
  text: string
  html: string
}

const wording: Record<CodePurpose, { name: string, instruction: string }> = {
  activation: {
    name: 'activation code',
    instruction: 'Enter it in Latchkey to activate your account.'
  },
  'password-reset': {
    name: 'password reset code',
    instruction: 'Enter it in Latchkey to choose a new password.'
  }
}

/** Whole seconds the code has left; never negative, so a mail never promises a past deadline. */
export function secondsLeft (codeExpiresAt: string, now: Date): number {
  return Math.max(0, Math.floor((Date.parse(codeExpiresAt) - now.getTime()) / 1000))
}

/**
 * Renders the mail for one code. The code is in the subject on purpose: people read it off the
 * mailbox list without opening the mail, which matters when it lives for a minute.
 */
export function composeCodeMail (purpose: CodePurpose, data: CodeDeliveryData, now: Date): ComposedMail {
  const { name, instruction } = wording[purpose]
  const seconds = secondsLeft(data.codeExpiresAt, now)
  const lifetime = `It is valid for ${seconds} ${seconds === 1 ? 'second' : 'seconds'}.`
  const notYou = 'If this wasn\'t you, ignore this mail: nothing changes without the code.'

  const text = [
    `Your Latchkey ${name} is: ${data.code}`,
    '',
    `${lifetime} ${instruction}`,
    '',
    notYou,
    ''
  ].join('\n')

  const html = [
    '<!doctype html>',
    '<html><body style="font-family: sans-serif">',
    `<p>Your Latchkey ${escapeHtml(name)} is:</p>`,
    `<p style="font-size: 2em; letter-spacing: 0.2em"><strong>${escapeHtml(data.code)}</strong></p>`,
    `<p>${escapeHtml(lifetime)} ${escapeHtml(instruction)}</p>`,
    `<p>${escapeHtml(notYou)}</p>`,
    '</body></html>'
  ].join('\n')

  return { subject: `Your Latchkey ${name}: ${data.code}`, text, html }
}

const htmlEntities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;' }

/** Every value put into the HTML goes through here, even the ones we believe are digits. */
export function escapeHtml (value: string): string {
  return value.replace(/[&<>"']/g, (char) => htmlEntities[char]!)
}
