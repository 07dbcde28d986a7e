import { createRemoteJWKSet, customFetch, type CryptoKey, type FlattenedJWSInput, type JWTHeaderParameters } from 'jose'
import { backoffMs, delay } from './delay.js'
import { VerifyError } from './errors.js'
import { fetchVia, type HttpClient } from './http-client.js'
import type { Algorithm, ResolvedOptions } from './options.js'

/** What jose's jwtVerify calls with the token's protected header to get the key that must have signed it. */
export type KeyLookup = (header: JWTHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>

export interface Keys {
  lookup: KeyLookup
  /**
   * Resolves once the JWKS (if any) has been fetched. While keyturn cannot be
   * reached it keeps trying; it rejects when keyturn answers 4xx (a wrong
   * jwksUrl) or the verifier is closed.
   */
  load(): Promise<void>
}

/**
 * Header parameters that point at a key other than ours. jose never follows
 * them, but a token that carries one was made by someone probing for a
 * verifier that does: refuse it outright.
 */
const FOREIGN_KEY_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const

/** How long fetched keys are trusted without a refetch: keyturn's default JWKS_MAX_AGE. */
const JWKS_MAX_AGE_MS = 600_000
const JWKS_TIMEOUT_MS = 5_000

/**
 * The key for each token, chosen by its header: HS256 only ever with the
 * shared secret, every other algorithm only with the JWKS key its `kid` names
 * (jose picks a JWK only if the JWK's own `alg` equals the header's). So a
 * token cannot pick its own key, and a public key can never be used as an
 * HMAC secret.
 */
export function createKeys(options: ResolvedOptions, context: { closed: AbortSignal; client: HttpClient }): Keys {
  const { closed, client } = context
  const secretKey = options.secret ? importSecret(options.secret) : undefined
  let lastStatus: number | undefined
  const remote = options.jwksUrl
    ? createRemoteJWKSet(options.jwksUrl, {
        cooldownDuration: options.jwksCooldownMs,
        cacheMaxAge: JWKS_MAX_AGE_MS,
        timeoutDuration: JWKS_TIMEOUT_MS,
        // Through the verifier's own connections, so close() ends a JWKS request too.
        [customFetch]: async (url, init) => {
          const response = await fetchVia(client, url, { ...init, timeoutMs: JWKS_TIMEOUT_MS })
          lastStatus = response.status
          return response
        },
      })
    : undefined
  const allowed = new Set<string>(options.algorithms)

  async function lookup(header: JWTHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> {
    for (const name of FOREIGN_KEY_HEADERS) {
      if (name in header) throw new VerifyError('token_invalid', `The token's "${name}" header is not accepted.`)
    }
    // jose has already refused an algorithm outside the allow-list; this keeps the two in step.
    const alg = header.alg as Algorithm
    if (!allowed.has(alg)) throw new VerifyError('token_invalid', "The token's algorithm is not accepted.")
    if (alg === 'HS256') return secretKey!
    if (typeof header.kid !== 'string' || header.kid === '') {
      throw new VerifyError('token_invalid', 'The token does not name its key.')
    }
    return remote!(header, token) as Promise<CryptoKey>
  }

  return {
    lookup,
    async load() {
      await secretKey
      for (let failures = 1; remote; failures++) {
        lastStatus = undefined
        try {
          return await remote.reload()
        } catch (error) {
          if (closed.aborted) throw new Error('the verifier was closed')
          if (lastStatus !== undefined && lastStatus >= 400 && lastStatus < 500) {
            throw new Error(`the JWKS at ${options.jwksUrl!.href} answered ${lastStatus}`, { cause: error })
          }
          await delay(backoffMs(failures), closed)
        }
      }
    },
  }
}

/** Imported once: jose would import a raw Uint8Array secret again for every token. */
function importSecret(secret: Uint8Array): Promise<CryptoKey> {
  const key = crypto.subtle.importKey('raw', new Uint8Array(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
  // A key that cannot be imported (none such for HMAC) surfaces on use; never as an unhandled rejection.
  key.catch(() => {})
  return key
}
