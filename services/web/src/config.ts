// Settings written into index.html at build time (build.mjs): no inline script, no extra request.

export interface PageConfig {
  /** Digits in an emailed code (the API's CODE_LENGTH). */
  codeLength: number
}

function positiveInteger (name: string, fallback: number): number {
  const value = Number(document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content)
  return Number.isInteger(value) && value > 0 ? value : fallback
}

export function readConfig (): PageConfig {
  return {
    codeLength: positiveInteger('latchkey-code-length', 4)
  }
}
