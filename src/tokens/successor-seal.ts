import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

/**
 * Seals a refresh token's successor onto the retired token (AES-256-GCM, a key
 * derived from JWT_SECRET), so that a retired token presented within the grace
 * interval is answered with the same successor instead of a new chain of its
 * own: a racing tab is not logged out, and a thief's copy still collides with
 * the owner's, which is what reuse detection needs.
 */
export interface SuccessorSeal {
  seal(token: string): string
  /** The token, or undefined when the seal was made with another key or was altered. */
  open(sealed: string): string | undefined
}

export function createSuccessorSeal(secret: string): SuccessorSeal {
  const key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'keyturn refresh-token successor', 32))
  return {
    seal(token) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      const sealed = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()])
      return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url')
    },
    open(sealed) {
      try {
        const raw = Buffer.from(sealed, 'base64url')
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12))
        decipher.setAuthTag(raw.subarray(12, 28))
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')
      } catch {
        return undefined
      }
    },
  }
}
