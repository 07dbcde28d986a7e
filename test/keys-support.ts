// Keys for tests, made with node:crypto alone (nothing shared with the
// service's own key code), and the JWT_KEYS environment that configures them.
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'

export type Alg = 'EdDSA' | 'ES256' | 'RS256'
export const ALGORITHMS: Alg[] = ['EdDSA', 'ES256', 'RS256']

export type Jwk = Record<string, string>

/** A fresh private JWK for `alg`, with a kid no other test uses. */
export function privateJwk(alg: Alg, kid = `${alg.toLowerCase()}-${randomBytes(6).toString('base64url')}`, rsaBits = 2048): Jwk {
  const pair =
    alg === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('rsa', { modulusLength: rsaBits })
  return { ...(pair.privateKey.export({ format: 'jwk' }) as Jwk), kid, alg }
}

/** The JWK without its private members: what a JWKS may show. */
export function publicPart(jwk: Jwk): Jwk {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest } = jwk
  return rest
}

/** JWT_KEYS for these keys, newest first; JWT_SECRET unset unless `secret` is given. */
export function keysEnv(keys: Jwk[], secret?: string): Record<string, string> {
  return { JWT_KEYS: JSON.stringify({ keys }), JWT_SECRET: secret ?? '' }
}

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

/** header.payload.signature signed with `jwk` under `alg`, whatever the header says. */
export function signWith(jwk: Jwk, alg: Alg, header: object, payload: object): string {
  const input = `${b64url(header)}.${b64url(payload)}`
  const key: KeyObject = createPrivateKey({ key: jwk as never, format: 'jwk' })
  const signature =
    alg === 'EdDSA'
      ? sign(null, Buffer.from(input), key)
      : alg === 'ES256'
        ? sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
        : sign('sha256', Buffer.from(input), key)
  return `${input}.${signature.toString('base64url')}`
}

export function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'))
}

export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'))
}
