/**
 * One spelling per mailbox: surrounding spaces dropped, Unicode composed (NFC), lower-cased.
 * Lower-casing the local part is not strictly RFC 5321, but no real provider distinguishes
 * case there, and doing so would let one person hold two accounts.
 */
export function normalizeEmail (raw: string): string {
  return raw.trim().normalize('NFC').toLowerCase()
}

// One @, a non-empty local part, a dotted domain, no spaces or control characters.
const plausibleAddress = /^[^\s@\p{Cc}]{1,64}@(?=.{1,253}$)[^\s@\p{Cc}.]+(\.[^\s@\p{Cc}.]+)+$/u

export function isPlausibleEmail (normalized: string): boolean {
  return normalized.length <= 254 && plausibleAddress.test(normalized)
}
