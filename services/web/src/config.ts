// Settings written into index.html at build time (build.mjs): no inline script, no extra request.

export interface PageConfig {
  /** Digits in an emailed code (the API's CODE_LENGTH). */
  codeLength: number
  /**
   * How long a code lives and how soon another may be sent (the API's CODE_TTL_SECONDS and
   * RESEND_INTERVAL_SECONDS). Used where the API's answer cannot say, for a reset code: that
   * answer is the same whether or not the address has an account.
   */
  codeTtlSeconds: number
  resendIntervalSeconds: number
}

function positiveInteger (name: string, fallback: number): number {
  const value = Number(document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content)
  return Number.isInteger(value) && value > 0 ? value : fallback
}

export function readConfig (): PageConfig {
  return {
    codeLength: positiveInteger('latchkey-code-length', 4),
    codeTtlSeconds: positiveInteger('latchkey-code-ttl-seconds', 60),
    resendIntervalSeconds: positiveInteger('latchkey-resend-interval-seconds', 30)
  }
}
