import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import type { ConfiguredKey } from './jwk.js'

/**
 * Seals a refresh token's successor onto the retired token (AES-256-GCM), so
 * that a retired token presented within the grace interval is answered with
 * the same successor instead of a new chain of its own: a racing tab is not
 * logged out, and a thief's copy still collides with the owner's, which is
 * what reuse detection needs.
 *
 * The AES keys are derived from the signing keys (JWT_SECRET, and each key of
 * JWT_KEYS), so seals survive restarts. A seal is made with the key of the key
 * that signs at that moment, which every instance of a rotation step holds
 * (a new key signs only once the step has been deployed long enough), and is
 * opened with whichever configured key made it.
 */
export interface SuccessorSeal {
  seal(token: string): string
  /** The token, or undefined when no configured key made the seal, or it was altered. */
  open(sealed: string): string | undefined
}

const INFO = 'keyturn refresh-token successor'

/** The seal key of the HS256 secret (as it has always been derived, so older seals still open). */
export function sealKeyOfSecret(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), INFO, 32))
}

/** The seal key of an asymmetric key: from its private scalar or exponent, bound to its kid. */
export function sealKeyOfKey(key: ConfiguredKey): Buffer {
  const material = Buffer.from(String(key.jwk.d), 'base64url')
  return Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), `${INFO} ${key.alg} ${key.kid}`, 32))
}

export function createSuccessorSeal(keys: { current: () => Buffer; all: readonly Buffer[] }): SuccessorSeal {
  return {
    seal(token) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', keys.current(), iv)
      const sealed = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()])
      return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url')
    },
    open(sealed) {
      const raw = Buffer.from(sealed, 'base64url')
      if (raw.length < 28) return undefined
      for (const key of keys.all) {
        try {
          const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12))
          decipher.setAuthTag(raw.subarray(12, 28))
          return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')
        } catch {
          // Another key's seal, or altered: try the next.
        }
      }
      return undefined
    },
  }
}
