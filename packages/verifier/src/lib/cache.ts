import type { AccessClaims } from './claims.js'

/**
 * Tokens whose signature and claims have been checked, keyed by the token
 * itself (exact, and cheaper than hashing it). What is remembered cannot
 * change: the signature and claims of a token are fixed. What can change
 * (the time, the revocation set) is checked on every use by the caller.
 * Bounded: past `size` entries the oldest is forgotten (insertion order,
 * which a Map keeps).
 */
export class VerifiedTokens {
  readonly #entries = new Map<string, AccessClaims>()

  constructor(readonly size: number) {}

  get(token: string): AccessClaims | undefined {
    return this.#entries.get(token)
  }

  set(token: string, claims: AccessClaims): void {
    if (this.size === 0) return
    if (this.#entries.size >= this.size) this.#entries.delete(this.#entries.keys().next().value!)
    this.#entries.set(token, claims)
  }

  delete(token: string): void {
    this.#entries.delete(token)
  }

  get count(): number {
    return this.#entries.size
  }
}
