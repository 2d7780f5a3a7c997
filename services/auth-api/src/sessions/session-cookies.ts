import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'

/** Browsers ask for the refresh token as an HttpOnly cookie by sending this header; a cross-site form cannot set it. */
const TRANSPORT_HEADER = 'x-token-transport'
/** `__Host-`: browsers take it only over HTTPS, for this host alone, on path / (ASVS 3.3.1). */
export const REFRESH_COOKIE = '__Host-latchkey_refresh'
/** The name before `__Host-`: still read once, then cleared, so no browser is signed out by the rename. */
const LEGACY_REFRESH_COOKIE = 'latchkey_refresh'
/**
 * Set beside the refresh cookie, readable by the page and holding no secret: it tells the page
 * there is a session to resume, so a first visit makes no refresh call bound to fail.
 */
export const SESSION_HINT_COOKIE = 'latchkey_session'

const cookieOptions = { secure: true, sameSite: 'strict' as const, path: '/' }

// Headers are validated, never stripped (the server's `removeAdditional` is for bodies).
export const TransportHeaders = Type.Object({
  'x-token-transport': Type.Optional(Type.Literal('cookie', { description: 'Browsers: keep the refresh token in an HttpOnly, Secure, SameSite=Strict cookie.' }))
}, { additionalProperties: true })

export function wantsCookie (request: FastifyRequest): boolean {
  return request.headers[TRANSPORT_HEADER] === 'cookie'
}

/** The refresh token a browser sent in its cookie, under the current name or the legacy one. */
export function refreshTokenCookie (request: FastifyRequest): string | undefined {
  return request.cookies[REFRESH_COOKIE] ?? request.cookies[LEGACY_REFRESH_COOKIE]
}

export function setSessionCookies (request: FastifyRequest, reply: FastifyReply, refreshToken: string, maxAge: number): void {
  reply.setCookie(REFRESH_COOKIE, refreshToken, { ...cookieOptions, httpOnly: true, maxAge })
  reply.setCookie(SESSION_HINT_COOKIE, '1', { ...cookieOptions, maxAge })
  clearLegacyCookie(request, reply)
}

function clearLegacyCookie (request: FastifyRequest, reply: FastifyReply): void {
  if (request.cookies[LEGACY_REFRESH_COOKIE] !== undefined) reply.clearCookie(LEGACY_REFRESH_COOKIE, { ...cookieOptions, httpOnly: true })
}

/** A browser's session ended (signed out, refused, password changed, account deleted): its cookies go too. */
export function forgetSessionCookies (request: FastifyRequest, reply: FastifyReply): void {
  if (!wantsCookie(request)) return
  reply.clearCookie(REFRESH_COOKIE, { ...cookieOptions, httpOnly: true })
  reply.clearCookie(SESSION_HINT_COOKIE, cookieOptions)
  clearLegacyCookie(request, reply)
}
