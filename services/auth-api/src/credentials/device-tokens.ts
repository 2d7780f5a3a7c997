import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'

/** HttpOnly, Secure, host-only: `__Host-` makes browsers refuse it from anywhere but this origin over HTTPS. */
export const DEVICE_COOKIE = '__Host-latchkey_device'

/**
 * OWASP's device cookies ("Slow Down Online Guessing Attacks with Device Cookies"): a browser
 * that proved an address's password (or its mailbox, by a reset code) gets a token naming that
 * address, `<device id>.<expiry>.<HMAC>`. Sign-in attempts that carry a valid one count against
 * that device alone, apart from the anonymous pool an attacker can fill, so the owner's own
 * browsers keep working while strangers are locked out. The token holds no secret of the
 * account and proves nothing by itself: the password is still checked.
 */
export class DeviceTokens {
  constructor (private readonly key: Buffer, readonly ttlSeconds: number) {}

  issue (address: string, now: Date): string {
    const id = randomBytes(16).toString('base64url')
    const expires = Math.floor(now.getTime() / 1000) + this.ttlSeconds
    return `${id}.${expires}.${this.#mac(address, id, expires)}`
  }

  /** The device's id when the token was issued for this address and is still valid; otherwise undefined. */
  deviceOf (token: string | undefined, address: string, now: Date): string | undefined {
    const [id, expiresText, mac, extra] = token?.split('.') ?? []
    const expires = Number(expiresText)
    if (!id || !mac || extra !== undefined || !Number.isSafeInteger(expires) || expires * 1000 <= now.getTime()) return undefined
    const expected = Buffer.from(this.#mac(address, id, expires), 'base64url')
    const presented = Buffer.from(mac, 'base64url')
    return expected.length === presented.length && timingSafeEqual(expected, presented) ? id : undefined
  }

  #mac (address: string, id: string, expires: number): string {
    return createHmac('sha256', this.key).update(`${address}\n${id}\n${expires}`).digest('base64url')
  }
}

export function presentedDeviceToken (request: FastifyRequest): string | undefined {
  return request.cookies[DEVICE_COOKIE]
}

/** After a proof of the password or of the mailbox: this browser is one of the address's devices. */
export function rememberDevice (reply: FastifyReply, tokens: DeviceTokens, address: string, now: Date): void {
  reply.setCookie(DEVICE_COOKIE, tokens.issue(address, now), { secure: true, httpOnly: true, sameSite: 'strict', path: '/', maxAge: tokens.ttlSeconds })
}
