import { randomBytes } from 'node:crypto'
import type { Clock } from '../clock.js'
import type { Config } from '../config.js'
import { problem } from '../errors.js'
import { profileClaims, type Profile } from '../services/profile.js'
import type { KeyRing } from './key-ring.js'

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
  /** Absent for an account without one (LOGIN_FIELDS=email). */
  username?: string
  is_staff: boolean
  /** Whether the account's email address is verified (EMAIL_VERIFICATION). */
  email_verified: boolean
  /** The PROFILE_CLAIMS fields of the user's profile; only when PROFILE_CLAIMS names some. */
  profile?: Profile
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
    user: { id: number; username: string | null; is_staff: boolean; email_verified: boolean; profile: Profile },
    sessionId: string,
    issuedAt?: number,
    notAfter?: number,
  ): IssuedAccessToken
  /** The exp (ms) of a token issued at `issuedAt`: what a session must record before the token exists. */
  expiresAt(issuedAt: number): number
  /** The claims of a genuine, unexpired token; throws token_invalid or token_expired. Does not consult the denylist. */
  verify(token: string): AccessClaims
}

/** Verified tokens remembered; past this many, the oldest is forgotten. */
const VERIFIED_CACHE_SIZE = 10_000

const invalid = (detail: string) => problem('token_invalid', { detail })

export function createAccessTokens(deps: { config: Config; clock: Clock; keys: KeyRing }): AccessTokens {
  const { config, clock, keys } = deps
  const { issuer, audience, accessTokenTtlMs, leewayMs } = config.jwt
  const lifetimeSeconds = Math.ceil(accessTokenTtlMs / 1000)
  // The same token is verified over and over (a page's requests, a service
  // asking /verify). Its signature and claims cannot change, so the outcome of
  // checking them is kept, keyed by the token itself (exact, and cheaper than
  // hashing it). Time and the denylist are checked on every use regardless.
  // The keys that verify are fixed for the life of the ring, and this cache
  // lives exactly as long: a token of a key no longer configured was never
  // checked by this process's ring, so it cannot be in here.
  const verified = new Map<string, AccessClaims>()

  function checkSignatureAndClaims(token: string): AccessClaims {
    const claims = keys.verify(token) as Partial<AccessClaims> & { nbf?: unknown }
    if (
      claims.token_type !== 'access' ||
      typeof claims.sid !== 'string' ||
      typeof claims.sub !== 'string' ||
      typeof claims.exp !== 'number' ||
      typeof claims.iat !== 'number'
    ) {
      throw invalid('The token is not a keyturn access token.')
    }
    if (claims.nbf !== undefined && typeof claims.nbf !== 'number') throw invalid('The token nbf is not a number.')
    // No token keyturn issues lives longer than ACCESS_TOKEN_TTL: a longer one
    // was made by someone else, or under a longer TTL than is configured now.
    if ((claims.exp - claims.iat) * 1000 > lifetimeSeconds * 1000 + leewayMs) {
      throw invalid('The token lives longer than ACCESS_TOKEN_TTL allows.')
    }
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!)
    // Shared by every request that presents this token: nobody may change it.
    verified.set(token, Object.freeze(claims as AccessClaims))
    return claims as AccessClaims
  }

  const times = (issuedAt: number, notAfter = Infinity) => {
    const iat = Math.floor(issuedAt / 1000)
    return { iat, exp: Math.min(iat + lifetimeSeconds, Math.floor(notAfter / 1000)) }
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
        ...(user.username === null ? {} : { username: user.username }),
        is_staff: user.is_staff,
        email_verified: user.email_verified,
      }
      const profile = profileClaims(config.profile, user.profile)
      if (profile) claims.profile = profile
      return { token: keys.sign({ ...claims }, clock.now()), expiresAt: exp * 1000, expiresIn: exp - iat }
    },

    verify(token) {
      const claims = verified.get(token) ?? checkSignatureAndClaims(token)
      // Time is checked here, against the injected clock, rather than inside
      // fast-jwt against Date.now(): one notion of "now" for the whole service.
      const now = clock.now()
      if (claims.exp * 1000 + leewayMs <= now) throw problem('token_expired')
      if (claims.iat * 1000 - leewayMs > now) throw invalid('The token was issued in the future.')
      const nbf = (claims as { nbf?: number }).nbf
      if (nbf !== undefined && nbf * 1000 - leewayMs > now) throw invalid('The token is not valid yet.')
      return claims
    },
  }
}
