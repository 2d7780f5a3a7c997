/**
 * Whether an address is plain enough to hand to nodemailer. Events come from our own API, but
 * the mailer is the last line before SMTP, and nodemailer's address parser has had injection and
 * misrouting bugs (CRLF, quoted local parts such as `"a@b.c x"@internal`). So: one `@`, no
 * whitespace or control characters, none of the RFC 5322 specials, length limits of RFC 5321.
 */
export function isPlainAddress (address: string): boolean {
  if (address.length > 254) return false
  const at = address.indexOf('@')
  if (at < 1 || at !== address.lastIndexOf('@')) return false
  const local = address.slice(0, at)
  const domain = address.slice(at + 1)
  if (local.length > 64 || !plainLocalPart.test(local)) return false
  return domain.split('.').length >= 2 && domain.split('.').every((label) => domainLabel.test(label))
}

// Printable ASCII without whitespace, quotes and the specials ()<>[]:;@\,
const plainLocalPart = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$/
const domainLabel = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/
