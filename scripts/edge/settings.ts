// The edge's numbers, in one place. scripts/edge/ writes them into every Nginx configuration
// (native, Compose, Helm) and into nginx/json-errors.conf; the tests that prove them
// (e2e/edge-errors.test.ts) read them here, so a changed number changes both at once.

/**
 * Passive health checks of the API replicas (native and Compose; in Kubernetes the Service
 * leaves out pods that are not ready): two failures leave a replica out for 5 seconds.
 */
const upstream = { maxFails: 2, failTimeoutSeconds: 5 } as const

export const edgeSettings = {
  /**
   * limit_req on the auth routes, per client address: 20 a second, with a burst of 100 answered
   * at once (nodelay). Generous enough for the test suite, but brute force still hits a wall.
   * The Helm chart's defaults (web.rateLimit) are these; its values can change them per release.
   */
  rateLimit: { perSecond: 20, burst: 100 },
  /** The routes the limit covers: every one that takes a password, a code or a token. */
  rateLimitedRoutes: ['register', 'verify', 'login', 'password', 'token', 'oauth'],
  upstream,
  /** Larger bodies are refused with 413 BODY_TOO_LARGE before they reach the API. */
  clientMaxBodySize: '64k',
  /** A request that was sent and never answered becomes 504 GATEWAY_TIMEOUT after this. */
  proxyReadTimeoutSeconds: 30,
  retryAfterSeconds: {
    // limit_req frees a slot every 1/rate seconds: one second is always enough to try again.
    rateLimited: 1,
    // Nginx tries the replicas it left out again once fail_timeout has passed.
    serviceUnavailable: upstream.failTimeoutSeconds
  }
} as const

/** The `server` parameters of each API replica in an upstream with passive health checks. */
export function passiveHealthCheck (): string {
  const { maxFails, failTimeoutSeconds } = edgeSettings.upstream
  return `max_fails=${maxFails} fail_timeout=${failTimeoutSeconds}s`
}
