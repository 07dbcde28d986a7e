import { createHash, randomBytes } from 'node:crypto'

/** 256 random bits, URL-safe: a refresh token or a reset token, handed out and never stored. */
export function generateOpaqueToken(): string {
  return randomBytes(32).toString('base64url')
}

/**
 * What the database keeps instead of the token. The token is 256 random bits,
 * so a plain SHA-256 is enough: there is nothing to brute-force and no need for a
 * slow hash, and lookups stay one indexed equality.
 */
export function hashOpaqueToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}
