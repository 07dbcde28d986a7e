import { VerifiedTokens } from './cache.js'
import type { AccessClaims } from './claims.js'
import { VerifyError } from './errors.js'
import { HttpClient } from './http-client.js'
import { createKeys } from './keys.js'
import { resolveOptions, type VerifierOptions } from './options.js'
import { RevocationFeed } from './revocation-feed.js'
import { createTokenCheck } from './token.js'

export interface Verifier {
  /**
   * Resolves once the keys are fetched (with a jwksUrl) and the revocation
   * feed has answered (with revocations). While keyturn cannot be reached it
   * keeps waiting, so race it with a timeout if start-up must be bounded. It
   * rejects when keyturn refuses the configuration (JWKS 4xx; feed 401, 403
   * or 404) or when the verifier is closed first.
   */
  ready(): Promise<void>
  /** The claims of a genuine, current, unrevoked keyturn access token, or a VerifyError. */
  verify(token: string): Promise<AccessClaims>
  /** Stops following the feed: aborts the request in flight and leaves no timer or socket. */
  close(): Promise<void>
}

/** A verifier of keyturn's access tokens. It starts fetching keys and following the feed at once. */
export function createVerifier(options: VerifierOptions): Verifier {
  const settings = resolveOptions(options)
  const { now, leewayMs } = settings
  const closing = new AbortController()
  const client = new HttpClient()
  const keys = createKeys(settings, { closed: closing.signal, client })
  const checkToken = createTokenCheck(settings, keys.lookup)
  const verified = new VerifiedTokens(settings.cacheSize)
  const feed = settings.feed && new RevocationFeed(settings.feed, { leewayMs, now, closed: closing.signal, client })
  const failOnStale = settings.feed?.onStale !== 'allow'
  feed?.start()

  return {
    async ready() {
      await Promise.all([keys.load(), feed?.synced()])
    },

    async verify(token) {
      if (closing.signal.aborted) throw new VerifyError('unavailable', 'The verifier has been closed.')
      if (typeof token !== 'string' || token === '') throw new VerifyError('token_invalid', 'No token was given.')
      let claims = verified.get(token)
      if (claims === undefined) {
        claims = await checkToken(token)
        verified.set(token, claims)
      }
      // The cache remembers the signature and claims, never the verdict on
      // time or revocation: those are decided now, on every call.
      const at = now()
      if (claims.exp * 1000 + leewayMs <= at) {
        verified.delete(token)
        throw new VerifyError('token_expired')
      }
      if (claims.nbf !== undefined && claims.nbf * 1000 - leewayMs > at) {
        throw new VerifyError('token_invalid', 'The token is not valid yet.')
      }
      if (feed) {
        if (feed.revoked.has(claims.sid)) throw new VerifyError('token_revoked')
        if (failOnStale && feed.stale) {
          throw new VerifyError('unavailable', 'Revocations could not be confirmed: the revocation feed is not answering.')
        }
      }
      return claims
    },

    async close() {
      closing.abort()
      await client.close()
      await feed?.stopped()
    },
  }
}
