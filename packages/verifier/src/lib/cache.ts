import type { AccessClaims } from './claims.js'

interface Entry {
  token: string
  claims: AccessClaims
}

/**
 * Tokens whose signature and claims have been checked. What is remembered
 * cannot change: the signature and claims of a token are fixed. What can
 * change (the time, the revocation set) is checked on every use by the caller.
 * Bounded: past `size` entries the oldest is forgotten (insertion order,
 * which a Map keeps).
 *
 * Keyed by the token's signature segment, the last 43 to 342 characters:
 * every request brings the token as a new string, which the Map must hash,
 * and hashing the whole token was most of the cost of a hit. A hit still
 * requires the whole token to be equal, so a forged token that borrows a
 * cached signature is a miss.
 */
export class VerifiedTokens {
  readonly #entries = new Map<string, Entry>()

  constructor(readonly size: number) {}

  get(token: string): AccessClaims | undefined {
    const entry = this.#entries.get(signatureOf(token))
    return entry !== undefined && entry.token === token ? entry.claims : undefined
  }

  set(token: string, claims: AccessClaims): void {
    if (this.size === 0) return
    const key = signatureOf(token)
    if (!this.#entries.has(key) && this.#entries.size >= this.size) this.#entries.delete(this.#entries.keys().next().value!)
    this.#entries.set(key, { token, claims })
  }

  delete(token: string): void {
    const key = signatureOf(token)
    if (this.#entries.get(key)?.token === token) this.#entries.delete(key)
  }

  get count(): number {
    return this.#entries.size
  }
}

function signatureOf(token: string): string {
  return token.slice(token.lastIndexOf('.') + 1)
}
