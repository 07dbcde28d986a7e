import { createHash, createPublicKey, type KeyObject } from 'node:crypto'
import { createSigner, createVerifier } from 'fast-jwt'
import { problem } from '../errors.js'
import { importPrivateKey, publicJwkOf, type ConfiguredKey, type PublicJwk } from './jwk.js'
import { readHeader } from './jwt-header.js'
import { signerAt, type ScheduledKey, type SignerChoice } from './key-schedule.js'
import { sealKeyOfKey, sealKeyOfSecret } from './successor-seal.js'

/** fast-jwt checks iss and aud only when present: requiring them is what makes the check bite. */
export const requiredClaims = ['token_type', 'iss', 'aud', 'sub', 'sid', 'jti', 'iat', 'exp'] as const

/** One key as the ring uses it: it signs and verifies under exactly one algorithm. */
interface RingKey {
  /** Undefined for the HS256 secret: its tokens carry no kid. */
  kid: string | undefined
  alg: string
  sign: (payload: Record<string, unknown>) => string
  verify: (token: string) => unknown
  sealKey: Buffer
}

export interface KeyRing {
  /** A JWT of these claims, signed by the key that signs at `now` (header `{alg, typ: 'JWT', kid}`). */
  sign(claims: Record<string, unknown>, now: number): string
  /**
   * The payload of a token whose header names a configured key (by kid; no kid:
   * the HS256 secret) under that key's algorithm, whose signature holds, and
   * whose iss, aud and required claims are there. Throws token_invalid. Time
   * is not checked here: the caller checks it against its clock.
   */
  verify(token: string): Record<string, unknown>
  /** The seal key of the key signing at `now`, and every configured key's (successor-seal.ts). */
  sealKeyAt(now: number): Buffer
  readonly sealKeys: readonly Buffer[]
  /** The public JWK Set, newest key first, and its entity tag. */
  readonly jwks: { readonly body: { keys: PublicJwk[] }; readonly etag: string }
  /** What signs at `now`: its kid (undefined for the secret), and whether it may yet (see SignerChoice); a change is told to onSignerChange. */
  signerAt(now: number): { kid: string | undefined; alg: string; eligible: boolean }
}

export interface KeyRingOptions {
  /** Newest first, as configured. */
  keys: readonly ConfiguredKey[]
  /** Each key's recorded times, in the same order. */
  schedule: readonly ScheduledKey[]
  /** JWT_SECRET (or the development key): verifies kid-less HS256 tokens, and signs until a key may. */
  secret: string | undefined
  issuer: string
  audience: string
  /** Told whenever the signing key changes (the first choice included). */
  onSignerChange?: (signer: { kid: string | undefined; alg: string; eligible: boolean }) => void
}

export function createKeyRing(options: KeyRingOptions): KeyRing {
  const { keys, schedule, secret } = options
  if (keys.length !== schedule.length || keys.some((key, index) => schedule[index]!.kid !== key.kid)) {
    throw new Error('every configured key needs its recorded times, in the same order')
  }
  if (keys.length === 0 && secret === undefined) throw new Error('a key ring needs a key or a secret')
  const verifierOptions = {
    allowedIss: options.issuer,
    allowedAud: options.audience,
    requiredClaims: [...requiredClaims],
    // exp, nbf and iat are checked by access-token.ts against the injected clock.
    ignoreExpiration: true,
    ignoreNotBefore: true,
  }

  const publicJwks: PublicJwk[] = []
  const asymmetric: RingKey[] = keys.map((key) => {
    const privateKey: KeyObject = importPrivateKey(key.jwk)
    publicJwks.push(publicJwkOf(key, privateKey))
    const publicPem = publicKeyPem(privateKey)
    return {
      kid: key.kid,
      alg: key.alg,
      sign: createSigner({ key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, algorithm: key.alg, kid: key.kid }),
      verify: createVerifier({ key: publicPem, algorithms: [key.alg], ...verifierOptions }),
      sealKey: sealKeyOfKey(key),
    }
  })
  const hmac: RingKey | undefined =
    secret === undefined
      ? undefined
      : {
          kid: undefined,
          alg: 'HS256',
          sign: createSigner({ key: secret, algorithm: 'HS256' }),
          verify: createVerifier({ key: secret, algorithms: ['HS256'], ...verifierOptions }),
          sealKey: sealKeyOfSecret(secret),
        }
  const byKid = new Map(asymmetric.map((key) => [key.kid!, key]))

  let current: RingKey | undefined
  function signer(now: number): { key: RingKey; eligible: boolean } {
    const choice: SignerChoice = signerAt(schedule, hmac !== undefined, now)
    const key = choice.index < 0 ? hmac! : asymmetric[choice.index]!
    if (key !== current) {
      current = key
      options.onSignerChange?.({ kid: key.kid, alg: key.alg, eligible: choice.eligible })
    }
    return { key, eligible: choice.eligible }
  }

  const body = { keys: publicJwks }
  const etag = `"${createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 32)}"`

  return {
    sign: (claims, now) => signer(now).key.sign(claims),

    verify(token) {
      const header = readHeader(token)
      const key = header.kid === undefined ? hmac : byKid.get(header.kid)
      if (!key) {
        throw problem('token_invalid', {
          detail: header.kid === undefined ? 'The token names no key (kid).' : 'The token was signed by a key keyturn does not have.',
        })
      }
      if (header.alg !== key.alg) throw problem('token_invalid', { detail: 'The token algorithm is not its key\'s.' })
      try {
        return key.verify(token) as Record<string, unknown>
      } catch (error) {
        throw problem('token_invalid', { detail: describeJwtError(error) })
      }
    },

    sealKeyAt: (now) => signer(now).key.sealKey,
    sealKeys: [...(hmac ? [hmac.sealKey] : []), ...asymmetric.map((key) => key.sealKey)],
    jwks: { body, etag },

    signerAt(now) {
      const { key, eligible } = signer(now)
      return { kid: key.kid, alg: key.alg, eligible }
    },
  }
}

function publicKeyPem(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }) as string
}

/** fast-jwt's messages say which check failed without revealing anything secret. */
function describeJwtError(error: unknown): string | undefined {
  const message = (error as Error | undefined)?.message
  return typeof message === 'string' && message.length < 200 ? message : undefined
}
