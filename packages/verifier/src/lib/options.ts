// The options a caller writes, checked once at createVerifier and turned into
// the plain values the rest of the package reads. A mistake here is a
// programming error: it throws a TypeError at start, never a VerifyError later.

/** The algorithms keyturn signs with. */
export type Algorithm = 'HS256' | 'EdDSA' | 'ES256' | 'RS256'

const ASYMMETRIC: readonly Algorithm[] = ['EdDSA', 'ES256', 'RS256']

export interface RevocationFeedOptions {
  /** keyturn's feed, e.g. `http://auth:3000/v1/auth/revocations`. */
  url: string | URL
  /** One of keyturn's REVOCATION_FEED_TOKENS. */
  token: string
  /** How old (ms) the last answer of the feed may be before `verify` stops trusting the set. Default 5000. */
  maxStaleness?: number
  /** What `verify` does once the feed is stale: throw `unavailable` (`'fail'`, the default) or go on with the last known set. */
  onStale?: 'fail' | 'allow'
  /** Told of every failed feed request (for a log or a metric); the message never holds the feed token. */
  onError?: (error: Error) => void
}

export interface VerifierOptions {
  /** keyturn's JWT_ISSUER. */
  issuer: string
  /** keyturn's JWT_AUDIENCE. */
  audience: string
  /** keyturn's JWT_SECRET: verifies HS256 tokens. */
  secret?: string | Uint8Array
  /** keyturn's `/.well-known/jwks.json`: verifies EdDSA, ES256 and RS256 tokens by their `kid`. */
  jwksUrl?: string | URL
  /** After a JWKS fetch, how long (ms) an unknown `kid` waits before it may trigger another. Default 30,000. */
  jwksCooldown?: number
  /** Narrows the accepted algorithms; by default HS256 with a secret and EdDSA, ES256, RS256 with a jwksUrl. */
  algorithms?: Algorithm[]
  /** Seconds of clock skew allowed on `exp` and `nbf` (keyturn's JWT_LEEWAY). Default 0. */
  leeway?: number
  /** How many verified tokens are remembered (0: none). Default 20,000. */
  cacheSize?: number
  /** keyturn's revocation feed. Without it, a logout takes effect only when the token expires. */
  revocations?: RevocationFeedOptions
  /** The current time in ms (Date.now by default); tests pass a clock they control. */
  now?: () => number
}

export interface ResolvedFeedOptions {
  url: URL
  token: string
  maxStalenessMs: number
  onStale: 'fail' | 'allow'
  onError: (error: Error) => void
}

export interface ResolvedOptions {
  issuer: string
  audience: string
  secret: Uint8Array | undefined
  jwksUrl: URL | undefined
  jwksCooldownMs: number
  algorithms: Algorithm[]
  leewayMs: number
  cacheSize: number
  feed: ResolvedFeedOptions | undefined
  now: () => number
}

export const DEFAULT_CACHE_SIZE = 20_000
export const DEFAULT_MAX_STALENESS_MS = 5_000
/** jose's default, made explicit. */
export const DEFAULT_JWKS_COOLDOWN_MS = 30_000

export function resolveOptions(options: VerifierOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('createVerifier needs an options object')
  const issuer = nonEmptyString(options.issuer, 'issuer')
  const audience = nonEmptyString(options.audience, 'audience')
  const secret = options.secret === undefined ? undefined : secretBytes(options.secret)
  const jwksUrl = options.jwksUrl === undefined ? undefined : httpUrl(options.jwksUrl, 'jwksUrl')
  if (!secret && !jwksUrl) throw new TypeError('createVerifier needs a secret (HS256), a jwksUrl, or both')

  const available: Algorithm[] = [...(secret ? (['HS256'] as const) : []), ...(jwksUrl ? ASYMMETRIC : [])]
  const algorithms = options.algorithms ?? available
  if (!Array.isArray(algorithms) || algorithms.length === 0) throw new TypeError('algorithms must list at least one algorithm')
  for (const alg of algorithms) {
    if (!available.includes(alg)) {
      const source = alg === 'HS256' ? 'a secret' : ASYMMETRIC.includes(alg) ? 'a jwksUrl' : 'support in keyturn'
      throw new TypeError(`algorithm ${JSON.stringify(alg)} needs ${source}`)
    }
  }

  return Object.freeze({
    issuer,
    audience,
    secret,
    jwksUrl,
    jwksCooldownMs: nonNegative(options.jwksCooldown ?? DEFAULT_JWKS_COOLDOWN_MS, 'jwksCooldown'),
    algorithms: [...new Set(algorithms)],
    leewayMs: nonNegative(options.leeway ?? 0, 'leeway') * 1000,
    cacheSize: Math.floor(nonNegative(options.cacheSize ?? DEFAULT_CACHE_SIZE, 'cacheSize')),
    feed: options.revocations === undefined ? undefined : resolveFeed(options.revocations),
    now: options.now ?? Date.now,
  })
}

function resolveFeed(feed: RevocationFeedOptions): ResolvedFeedOptions {
  if (typeof feed !== 'object' || feed === null) throw new TypeError('revocations must be an object { url, token }')
  const maxStalenessMs = nonNegative(feed.maxStaleness ?? DEFAULT_MAX_STALENESS_MS, 'revocations.maxStaleness')
  // Below this the feed would have to be asked several times a second.
  if (maxStalenessMs < 500) throw new TypeError('revocations.maxStaleness must be at least 500 ms')
  const onStale = feed.onStale ?? 'fail'
  if (onStale !== 'fail' && onStale !== 'allow') throw new TypeError("revocations.onStale must be 'fail' or 'allow'")
  if (feed.onError !== undefined && typeof feed.onError !== 'function') throw new TypeError('revocations.onError must be a function')
  return {
    url: httpUrl(feed.url, 'revocations.url'),
    token: nonEmptyString(feed.token, 'revocations.token'),
    maxStalenessMs,
    onStale,
    onError: feed.onError ?? (() => {}),
  }
}

function nonEmptyString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${name} must be a non-empty string`)
  return value
}

function nonNegative(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new TypeError(`${name} must be a non-negative number`)
  return value
}

function secretBytes(secret: unknown): Uint8Array {
  // keyturn (fast-jwt) signs with the UTF-8 bytes of JWT_SECRET.
  const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new TypeError('secret must be a non-empty string or Uint8Array')
  return bytes
}

function httpUrl(value: unknown, name: string): URL {
  let url: URL
  try {
    url = new URL(value as string)
  } catch {
    throw new TypeError(`${name} must be an http(s) URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`${name} must be an http(s) URL`)
  return url
}
