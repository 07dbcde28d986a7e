// Access tokens as keyturn mints them, and the forgeries a verifier must refuse.
import { randomUUID } from 'node:crypto'
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose'

export const ISSUER = 'keyturn-test'
export const AUDIENCE = 'keyturn-test-audience'
export const SECRET = 'a-test-secret-of-at-least-thirty-two-bytes'

export type AsymmetricAlg = 'EdDSA' | 'ES256' | 'RS256'

export interface SigningKey {
  alg: AsymmetricAlg
  kid: string
  privateKey: CryptoKey
  /** The public JWK as keyturn's JWKS publishes it. */
  jwk: JWK
}

export async function generateSigningKey(alg: AsymmetricAlg, kid = `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  return { alg, kid, privateKey, jwk }
}

export interface AccessOptions {
  sid?: string
  /** Seconds from now; negative for a token already expired. */
  expiresIn?: number
  /** Overrides (or, with undefined, removes) claims. */
  claims?: Record<string, unknown>
  /** Added to the protected header. */
  header?: Record<string, unknown>
  /** The current time, seconds; default the real one. */
  now?: number
}

export function accessClaims(options: AccessOptions = {}): Record<string, unknown> {
  const now = options.now ?? Math.floor(Date.now() / 1000)
  const claims: Record<string, unknown> = {
    token_type: 'access',
    iss: ISSUER,
    aud: AUDIENCE,
    sub: '42',
    sid: options.sid ?? randomUUID(),
    jti: randomUUID(),
    iat: now,
    exp: now + (options.expiresIn ?? 900),
    username: 'ada',
    is_staff: false,
    ...options.claims,
  }
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name]
  return claims
}

/** An HS256 token signed with keyturn's shared secret (no kid, as keyturn's are). */
export function signHs256(options: AccessOptions = {}, secret: string | Uint8Array = SECRET): Promise<string> {
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret
  return new SignJWT(accessClaims(options)).setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...options.header }).sign(key)
}

export function signWith(key: SigningKey, options: AccessOptions = {}): Promise<string> {
  return new SignJWT(accessClaims(options))
    .setProtectedHeader({ alg: key.alg, typ: 'JWT', kid: key.kid, ...options.header })
    .sign(key.privateKey)
}

/** alg "none": a header, the claims, and an empty signature. */
export function unsecured(options: AccessOptions = {}): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(accessClaims(options))}.`
}
