// Rules every part of Latchkey applies the same way: the API, the mailer and the web page
// (which bundles this file, so it stays free of Node-only imports).

export const PASSWORD_MIN_LENGTH = 8
export const PASSWORD_MAX_LENGTH = 256

/** Length in Unicode code points, as NIST 800-63B counts it (an emoji is one, not two). */
export function codePointLength (text: string): number {
  return [...text].length
}

/**
 * One spelling per mailbox: surrounding spaces dropped, Unicode composed (NFC), lower-cased,
 * and an internationalised domain turned into its ASCII (punycode) form, which is how SMTP
 * carries it. Lower-casing the local part is not strictly RFC 5321, but no real provider
 * distinguishes case there, and doing so would let one person hold two accounts.
 */
export function normalizeEmail (raw: string): string {
  const lowered = raw.trim().normalize('NFC').toLowerCase()
  const at = lowered.lastIndexOf('@')
  if (at < 0) return lowered
  return `${lowered.slice(0, at)}@${asciiDomain(lowered.slice(at + 1))}`
}

function asciiDomain (domain: string): string {
  // Only a bare host name may go through URL parsing: anything else would be read as a port, path or user.
  if (domain === '' || /[/:?#[\]@\\\s%]/.test(domain)) return domain
  try {
    const hostname = new URL(`http://${domain}`).hostname
    // Numeric hosts (0x7f.1, 2130706433) parse as IPv4 addresses: kept as written, so the address
    // is refused for what it is rather than rewritten into @127.0.0.1.
    return isIpv4(hostname) ? domain : hostname
  } catch {
    return domain
  }
}

function isIpv4 (hostname: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname)
}

/** Whether a resolver would take this domain for an IPv4 address (inet_aton reads 0x7f.1 so too). */
function namesAnIpAddress (domain: string): boolean {
  try {
    return isIpv4(new URL(`http://${domain}`).hostname)
  } catch {
    return false
  }
}

/**
 * Whether an address can be handed to SMTP safely: one `@`, an ASCII local part without
 * whitespace, quotes or the RFC 5322 specials ()<>[]:;@\, (nodemailer's address parser has had
 * injection and misrouting bugs with those), a dotted ASCII domain name that is no IP address in
 * disguise, RFC 5321 lengths. The API refuses at registration what the mailer could not deliver.
 */
export function isDeliverableAddress (address: string): boolean {
  if (address.length > 254) return false
  const at = address.indexOf('@')
  if (at < 1 || at !== address.lastIndexOf('@')) return false
  const local = address.slice(0, at)
  const labels = address.slice(at + 1).split('.')
  return local.length <= 64 && plainLocalPart.test(local) && labels.length >= 2 &&
    labels.every((label) => domainLabel.test(label)) && !allDigits.test(labels.at(-1)!) &&
    !namesAnIpAddress(address.slice(at + 1))
}

const plainLocalPart = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$/
const domainLabel = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/
/** RFC 3696 §2: a top-level domain is never all-numeric, so no address literal slips through as a name. */
const allDigits = /^[0-9]+$/
