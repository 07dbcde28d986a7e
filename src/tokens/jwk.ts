import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto'

/**
 * The asymmetric algorithms a configured key may have, each with the one key
 * type it takes (RFC 7518 §3, RFC 8037 §3.1). A key has exactly one: no key
 * serves two algorithms, so no token can be checked under an algorithm its
 * key was not made for.
 */
export const keyAlgorithms = {
  EdDSA: { kty: 'OKP', crv: 'Ed25519', publicMembers: ['x'], privateMembers: ['d'] },
  ES256: { kty: 'EC', crv: 'P-256', publicMembers: ['x', 'y'], privateMembers: ['d'] },
  RS256: { kty: 'RSA', crv: undefined, publicMembers: ['n', 'e'], privateMembers: ['d', 'p', 'q', 'dp', 'dq', 'qi'] },
} as const

export type KeyAlgorithm = keyof typeof keyAlgorithms
export const keyAlgorithmNames = Object.keys(keyAlgorithms) as KeyAlgorithm[]

/** RSA keys shorter than this are refused (RFC 7518 §3.3 requires 2048 bits for RS256). */
export const MIN_RSA_BITS = 2048

/** Members that exist only in private or symmetric JWKs: none of them is ever published. */
export const secretMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

/** One configured signing key, as validated from JWT_KEYS: plain data (config is frozen), private. */
export interface ConfiguredKey {
  readonly kid: string
  readonly alg: KeyAlgorithm
  /** The private JWK as given, members checked. */
  readonly jwk: Readonly<Record<string, unknown>>
}

/** What the JWKS publishes of a key: its public members, kid, alg and use, nothing else. */
export interface PublicJwk {
  kty: string
  crv?: string
  x?: string
  y?: string
  n?: string
  e?: string
  kid: string
  alg: KeyAlgorithm
  use: 'sig'
}

/**
 * A JWK Set of private signing keys, newest first, or an Error whose message
 * names the key at fault (`keys[1] (kid "2026-06")`) and never any key material.
 */
export function parsePrivateJwkSet(text: string): ConfiguredKey[] {
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch {
    // JSON.parse's message quotes the text around the fault, which is key material.
    throw new Error('is not valid JSON: it must be a JWK Set, {"keys": [...]}')
  }
  const keys = (document as { keys?: unknown } | null)?.keys
  if (typeof document !== 'object' || document === null || Array.isArray(document) || !Array.isArray(keys)) {
    throw new Error('must be a JWK Set: a JSON object {"keys": [...]}, newest key first')
  }
  if (keys.length === 0) throw new Error('lists no keys')
  const seen = new Set<string>()
  return keys.map((candidate, index) => {
    const key = parsePrivateJwk(candidate, index)
    if (seen.has(key.kid)) throw new Error(`${where(index, key.kid)}: kid "${key.kid}" is used by an earlier key; every key needs its own kid`)
    seen.add(key.kid)
    return key
  })
}

function where(index: number, kid?: unknown): string {
  return typeof kid === 'string' && kid !== '' ? `keys[${index}] (kid "${printable(kid)}")` : `keys[${index}]`
}

/** A kid as an error message may quote it. */
function printable(kid: string): string {
  return kid.length > 64 ? `${kid.slice(0, 61)}...` : kid
}

function parsePrivateJwk(candidate: unknown, index: number): ConfiguredKey {
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    throw new Error(`${where(index)}: must be a JSON object (a JWK)`)
  }
  const jwk = candidate as Record<string, unknown>
  const at = where(index, jwk.kid)
  const { kid, alg } = jwk
  if (typeof kid !== 'string' || kid === '') throw new Error(`${at}: has no kid; every key needs one, so tokens can name it`)
  if (kid.length > 128 || !/^[\x21-\x7e]+$/.test(kid)) {
    throw new Error(`${at}: kid must be 1 to 128 printable ASCII characters without spaces`)
  }
  if (alg === undefined) throw new Error(`${at}: has no alg; give one of ${keyAlgorithmNames.join(', ')}`)
  if (alg === 'HS256' || jwk.kty === 'oct') {
    throw new Error(`${at}: is a symmetric (HS256) key; JWT_KEYS takes ${keyAlgorithmNames.join(', ')} keys, and the HS256 key is JWT_SECRET`)
  }
  if (typeof alg !== 'string' || !Object.hasOwn(keyAlgorithms, alg)) {
    throw new Error(`${at}: alg ${JSON.stringify(alg)} is not supported; use one of ${keyAlgorithmNames.join(', ')}`)
  }
  const algorithm = keyAlgorithms[alg as KeyAlgorithm]
  if (jwk.kty !== algorithm.kty || (algorithm.crv !== undefined && jwk.crv !== algorithm.crv)) {
    const wanted = algorithm.crv ? `kty ${algorithm.kty} with crv ${algorithm.crv}` : `kty ${algorithm.kty}`
    throw new Error(`${at}: alg ${alg} needs ${wanted} (got kty ${String(jwk.kty)}${jwk.crv === undefined ? '' : `, crv ${String(jwk.crv)}`})`)
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new Error(`${at}: use must be "sig" (got ${JSON.stringify(jwk.use)})`)
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('sign'))) {
    throw new Error(`${at}: key_ops must include "sign"`)
  }
  const missing = algorithm.privateMembers.filter((member) => typeof jwk[member] !== 'string')
  if (missing.length === algorithm.privateMembers.length) {
    throw new Error(`${at}: is a public key (no "d"); JWT_KEYS takes private keys, and keyturn publishes their public parts itself`)
  }
  if (missing.length > 0) throw new Error(`${at}: lacks the private members ${missing.join(', ')}`)

  let privateKey: KeyObject
  try {
    privateKey = importPrivateKey(jwk)
  } catch {
    throw new Error(`${at}: is not a valid ${alg} private key`)
  }
  if (!publicMembersBelong(jwk, alg as KeyAlgorithm, privateKey)) {
    throw new Error(`${at}: its public members (${algorithm.publicMembers.join(', ')}) do not belong to its private key`)
  }
  if (alg === 'RS256') {
    const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0
    if (bits < MIN_RSA_BITS) throw new Error(`${at}: is a ${bits}-bit RSA key; RS256 needs at least ${MIN_RSA_BITS} bits`)
  }
  return { kid, alg: alg as KeyAlgorithm, jwk: Object.freeze({ ...jwk }) }
}

/**
 * Whether the JWK's public members are its private key's: a probe signed with
 * the private key must verify under a key made of the public members alone
 * (node:crypto takes an EC or RSA JWK's public members as given).
 */
function publicMembersBelong(jwk: Readonly<Record<string, unknown>>, alg: KeyAlgorithm, privateKey: KeyObject): boolean {
  const members = ['kty', ...(keyAlgorithms[alg].crv ? ['crv'] : []), ...keyAlgorithms[alg].publicMembers]
  try {
    const publicKey = createPublicKey({ key: Object.fromEntries(members.map((member) => [member, jwk[member]])) as never, format: 'jwk' })
    const probe = Buffer.from('keyturn key check')
    const digest = alg === 'EdDSA' ? null : 'sha256'
    return verify(digest, probe, publicKey, sign(digest, probe, privateKey))
  } catch {
    return false
  }
}

export function importPrivateKey(jwk: Readonly<Record<string, unknown>>): KeyObject {
  return createPrivateKey({ key: jwk as never, format: 'jwk' })
}

/** The key's public JWK, built from the key itself: no member of the configured JWK is copied, so none can leak. */
export function publicJwkOf(key: ConfiguredKey, privateKey: KeyObject = importPrivateKey(key.jwk)): PublicJwk {
  const exported = createPublicKey(privateKey).export({ format: 'jwk' }) as Record<string, string>
  const members = keyAlgorithms[key.alg].publicMembers
  const publicJwk: PublicJwk = { kty: exported.kty!, kid: key.kid, alg: key.alg, use: 'sig' }
  if (exported.crv !== undefined) publicJwk.crv = exported.crv
  for (const member of members) publicJwk[member] = exported[member]!
  return publicJwk
}

/** RFC 7638 thumbprint (SHA-256): names the key material, whatever kid it is given. */
export function thumbprintOf(publicJwk: PublicJwk): string {
  const required =
    publicJwk.kty === 'RSA'
      ? { e: publicJwk.e, kty: publicJwk.kty, n: publicJwk.n }
      : publicJwk.kty === 'EC'
        ? { crv: publicJwk.crv, kty: publicJwk.kty, x: publicJwk.x, y: publicJwk.y }
        : { crv: publicJwk.crv, kty: publicJwk.kty, x: publicJwk.x }
  return createHash('sha256').update(JSON.stringify(required)).digest('base64url')
}

/** A new private JWK for `alg`, with the kid given. */
export function generatePrivateJwk(alg: KeyAlgorithm, kid: string): Record<string, string> {
  const pair =
    alg === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('rsa', { modulusLength: MIN_RSA_BITS })
  const exported = pair.privateKey.export({ format: 'jwk' }) as Record<string, string>
  return { ...exported, kid, alg, use: 'sig' }
}
