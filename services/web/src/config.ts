// Settings written into index.html at build time (build.mjs): no inline script, no extra request.

export interface PageConfig {
  /** Digits in an emailed code (the API's CODE_LENGTH). */
  codeLength: number
}

export function readConfig (): PageConfig {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="latchkey-code-length"]')
  const codeLength = Number(meta?.content)
  return { codeLength: Number.isInteger(codeLength) && codeLength > 0 ? codeLength : 4 }
}
