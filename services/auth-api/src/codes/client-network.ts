import { isIPv4, isIPv6 } from 'node:net'

/**
 * The network a client address belongs to, as one field-name-safe key: the /24 of an IPv4
 * address, the /64 of an IPv6 one (what one subscriber usually holds). Quotas counted per
 * network make one attacker spend only their own share of an address's daily code mails.
 */
export function networkOf (ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1]
  const address = mapped ?? ip
  if (isIPv4(address)) return `v4-${address.split('.').slice(0, 3).join('-')}`
  if (isIPv6(address)) return `v6-${expandIpv6(address).slice(0, 4).join('-')}`
  return 'unknown'
}

function expandIpv6 (address: string): string[] {
  const [head = '', tail] = address.toLowerCase().split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  const zeros = Array.from({ length: 8 - left.length - right.length }, () => '0')
  return [...left, ...(tail === undefined ? [] : zeros), ...right].map((group) => group.replace(/^0+(?=.)/, ''))
}
