// Settings written into index.html at build time (build.mjs): no inline script, no extra request.

export interface PageConfig {
  /** Digits in an emailed activation code (the API's CODE_LENGTH). */
  codeLength: number
  /** Digits in an emailed password-reset code (the API's RESET_CODE_LENGTH). */
  resetCodeLength: number
}

function positiveInteger (name: string, fallback: number): number {
  const value = Number(document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content)
  return Number.isInteger(value) && value > 0 ? value : fallback
}

export function readConfig (): PageConfig {
  return {
    codeLength: positiveInteger('latchkey-code-length', 4),
    resetCodeLength: positiveInteger('latchkey-reset-code-length', 8)
  }
}
