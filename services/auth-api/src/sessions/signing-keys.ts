import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type JsonWebKey, type KeyObject } from 'node:crypto'
import { link, mkdir, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export interface SigningKey {
  kid: string
  createdAt: Date
  privateKeyPem: string
  publicKeyPem: string
  publicJwk: JsonWebKey
}

interface StoredKey {
  kid: string
  createdAt: string
  privateKeyPem: string
}

export const SIGNING_ALGORITHM = 'EdDSA' as const

function toSigningKey (stored: StoredKey): SigningKey {
  const privateKey: KeyObject = createPrivateKey(stored.privateKeyPem)
  const publicKey = createPublicKey(privateKey)
  return {
    kid: stored.kid,
    createdAt: new Date(stored.createdAt),
    privateKeyPem: stored.privateKeyPem,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    publicJwk: { ...publicKey.export({ format: 'jwk' }), kid: stored.kid, alg: SIGNING_ALGORITHM, use: 'sig' }
  }
}

export function generateStoredKey (now: Date): StoredKey {
  const { privateKey } = generateKeyPairSync('ed25519')
  const stamp = now.toISOString().replace(/[-:.]/g, '')
  return {
    kid: `${stamp}-${randomBytes(3).toString('hex')}`,
    createdAt: now.toISOString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  }
}

/**
 * Ed25519 signing keys in a directory every replica shares, one JSON file per key. The newest
 * key signs; an older key stays published in the JWKS until the tokens it signed have expired
 * (its successor's age exceeds the access-token lifetime). Files appear atomically (written
 * aside, then hard-linked into place), so replicas starting together agree on the first key.
 */
export class SigningKeys {
  #keys: SigningKey[] = []
  #loadedDirVersion = -1

  /**
   * `publishGraceMs` covers replicas that still sign with the old key until they load the new
   * one: a retired key stays published a token lifetime plus that long.
   */
  private constructor (private readonly dir: string | null, private readonly tokenTtlSeconds: number, private readonly publishGraceMs = 0) {}

  static async fromDirectory (dir: string, tokenTtlSeconds: number, now: Date, publishGraceMs = 0): Promise<SigningKeys> {
    const keys = new SigningKeys(dir, tokenTtlSeconds, publishGraceMs)
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await keys.#createIfMissing('initial.json', now)
    await keys.reload()
    return keys
  }

  static fromPem (privateKeyPem: string, tokenTtlSeconds: number): SigningKeys {
    const keys = new SigningKeys(null, tokenTtlSeconds)
    const jwk = createPublicKey(createPrivateKey(privateKeyPem)).export({ format: 'jwk' })
    keys.#keys = [toSigningKey({ kid: `configured-${String(jwk.x).slice(0, 12)}`, createdAt: new Date(0).toISOString(), privateKeyPem })]
    return keys
  }

  /** Picks up keys that another replica or the rotation command added. */
  async reload (): Promise<void> {
    if (!this.dir) return
    this.#loadedDirVersion = (await stat(this.dir)).mtimeMs
    const names = (await readdir(this.dir)).filter((name) => name.endsWith('.json'))
    const loaded = await Promise.all(names.map(async (name) => toSigningKey(JSON.parse(await readFile(join(this.dir!, name), 'utf8')) as StoredKey)))
    this.#keys = loaded.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
  }

  /**
   * For lookups of unknown key ids: reloads only when a key file was added since the last load
   * (the directory's mtime moved), so forged `kid`s cost a stat, never a read of every key.
   */
  async reloadIfChanged (): Promise<void> {
    if (this.dir && (await stat(this.dir)).mtimeMs !== this.#loadedDirVersion) await this.reload()
  }

  /** Adds a new signing key; the old one keeps verifying until its tokens have expired. */
  async rotate (now: Date): Promise<SigningKey> {
    if (!this.dir) throw new Error('keys given by configuration cannot be rotated here')
    const stored = generateStoredKey(now)
    await this.#createIfMissing(`${stored.kid}.json`, now, stored)
    await this.reload()
    return this.current()
  }

  current (): SigningKey {
    const newest = this.#keys.at(-1)
    if (!newest) throw new Error('no signing key loaded')
    return newest
  }

  /** The keys whose tokens may still be alive: the current one, and any retired less than a token lifetime ago. */
  published (now: Date): SigningKey[] {
    return this.#keys.filter((key, index) => {
      const successor = this.#keys[index + 1]
      return !successor || now.getTime() - successor.createdAt.getTime() < this.tokenTtlSeconds * 1000 + this.publishGraceMs
    })
  }

  publicKeyFor (kid: string, now: Date): string | undefined {
    return this.published(now).find((key) => key.kid === kid)?.publicKeyPem
  }

  async #createIfMissing (name: string, now: Date, stored: StoredKey = generateStoredKey(now)): Promise<void> {
    const target = join(this.dir!, name)
    const aside = join(this.dir!, `.${name}.${randomBytes(6).toString('hex')}.tmp`)
    await writeFile(aside, JSON.stringify(stored), { mode: 0o600 })
    try {
      await link(aside, target)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    } finally {
      await unlink(aside)
    }
  }
}
