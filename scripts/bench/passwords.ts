import argon2 from 'argon2'

/**
 * The API's own parameters (services/auth-api/src/credentials/passwords.ts): OWASP's argon2id,
 * 19 MiB, t=2, p=1. Kept in step by hand: the API does not export them.
 */
export const OWASP = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const

/** Every account the bench registers or seeds has this password (long enough, not a common one). */
export const BENCH_PASSWORD = 'bench-password-long-enough'
