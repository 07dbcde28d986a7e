import { randomBytes } from 'node:crypto'
import type { Clock } from '../clock.js'
import type { Config } from '../config.js'
import { problem } from '../errors.js'

/**
 * The claims of every access token keyturn issues. `token_type` is the claim
 * djangorestframework-simplejwt checks, so Django services verify keyturn's
 * tokens with its stock settings; it also keeps any other JWT signed with the
 * same key from passing as an access token.
 */
export interface AccessClaims {
  token_type: 'access'
  iss: string
  aud: string
  sub: string
  sid: string
  jti: string
  iat: number
  exp: number
  username: string
  is_staff: boolean
}

/**
 * Signs and checks the JWT itself (algorithm, key, iss, aud, required claims):
 * in the app this is @fastify/jwt's `fastify.jwt`, configured once at start.
 */
export interface JwtCodec {
  sign(payload: Record<string, unknown>): string
  verify(token: string): unknown
}

export interface IssuedAccessToken {
  token: string
  /** exp, in milliseconds. */
  expiresAt: number
  /** exp - iat: the token response's expires_in. */
  expiresIn: number
}

export interface AccessTokens {
  /** A token issued at `issuedAt` (ms; now by default) that expires by `notAfter` (its session's end) at the latest. */
  issue(
    user: { id: number; username: string; is_staff: boolean },
    sessionId: string,
    issuedAt?: number,
    notAfter?: number,
  ): IssuedAccessToken
  /** The exp (ms) of a token issued at `issuedAt`: what a session must record before the token exists. */
  expiresAt(issuedAt: number): number
  /** The claims of a genuine, unexpired token; throws token_invalid or token_expired. Does not consult the denylist. */
  verify(token: string): AccessClaims
}

/** fast-jwt checks iss and aud only when present: requiring them is what makes the check bite. */
export const requiredClaims = ['token_type', 'iss', 'aud', 'sub', 'sid', 'jti', 'iat', 'exp'] as const

/** Verified tokens remembered; past this many, the oldest is forgotten. */
const VERIFIED_CACHE_SIZE = 10_000

export function createAccessTokens(deps: { config: Config; clock: Clock; codec: JwtCodec }): AccessTokens {
  const { config, clock, codec } = deps
  const { issuer, audience, accessTokenTtlMs, leewayMs } = config.jwt
  // The same token is verified over and over (a page's requests, a service
  // asking /verify). Its signature and claims cannot change, so the outcome of
  // checking them is kept, keyed by the token itself (exact, and cheaper than
  // hashing it). Time and the denylist are checked on every use regardless.
  const verified = new Map<string, AccessClaims>()

  function checkSignatureAndClaims(token: string): AccessClaims {
    let claims: Partial<AccessClaims> & { nbf?: unknown }
    try {
      claims = codec.verify(token) as typeof claims
    } catch (error) {
      throw problem('token_invalid', { detail: describeJwtError(error) })
    }
    if (
      claims.token_type !== 'access' ||
      typeof claims.sid !== 'string' ||
      typeof claims.sub !== 'string' ||
      typeof claims.exp !== 'number'
    ) {
      throw problem('token_invalid', { detail: 'The token is not a keyturn access token.' })
    }
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!)
    // Shared by every request that presents this token: nobody may change it.
    verified.set(token, Object.freeze(claims as AccessClaims))
    return claims as AccessClaims
  }

  const times = (issuedAt: number, notAfter = Infinity) => {
    const iat = Math.floor(issuedAt / 1000)
    return { iat, exp: Math.min(iat + Math.ceil(accessTokenTtlMs / 1000), Math.floor(notAfter / 1000)) }
  }

  return {
    expiresAt: (issuedAt) => times(issuedAt).exp * 1000,

    issue(user, sessionId, issuedAt = clock.now(), notAfter) {
      const { iat, exp } = times(issuedAt, notAfter)
      const claims: AccessClaims = {
        token_type: 'access',
        iss: issuer,
        aud: audience,
        sub: String(user.id),
        sid: sessionId,
        jti: randomBytes(16).toString('base64url'),
        iat,
        exp,
        username: user.username,
        is_staff: user.is_staff,
      }
      return { token: codec.sign({ ...claims }), expiresAt: exp * 1000, expiresIn: exp - iat }
    },

    verify(token) {
      const claims = verified.get(token) ?? checkSignatureAndClaims(token)
      // Time is checked here, against the injected clock, rather than inside
      // fast-jwt against Date.now(): one notion of "now" for the whole service.
      const now = clock.now()
      if (claims.exp * 1000 + leewayMs <= now) throw problem('token_expired')
      const nbf = (claims as { nbf?: unknown }).nbf
      if (typeof nbf === 'number' && nbf * 1000 - leewayMs > now) {
        throw problem('token_invalid', { detail: 'The token is not valid yet.' })
      }
      return claims
    },
  }
}

/** fast-jwt's messages say which check failed without revealing anything secret. */
function describeJwtError(error: unknown): string {
  const message = (error as Error | undefined)?.message
  return typeof message === 'string' && message.length < 200 ? message : 'The token is not valid.'
}
