/** One entry of the feed: refuse every token of session `sid` until `exp` (epoch seconds). */
export interface Revocation {
  sid: string
  exp: number
}

/** How often (ms) expired entries are swept out at most. */
const SWEEP_INTERVAL_MS = 1_000

/**
 * The sessions whose tokens must be refused. An entry is kept until its
 * `exp` plus the leeway has passed: a token of that session is expired by then
 * even for a verifier that tolerates clock skew, so it can no longer pass.
 */
export class RevocationSet {
  readonly #expiries = new Map<string, number>()
  #sweptAt = -Infinity

  constructor(
    private readonly leewayMs: number,
    private readonly now: () => number,
  ) {}

  has(sid: string): boolean {
    return this.#expiries.has(sid)
  }

  get size(): number {
    return this.#expiries.size
  }

  /** A full answer of the feed is the whole truth: what is not in it is no longer revoked. */
  replace(entries: readonly Revocation[]): void {
    this.#expiries.clear()
    this.merge(entries)
  }

  merge(entries: readonly Revocation[]): void {
    const now = this.now()
    for (const { sid, exp } of entries) {
      const keepUntil = exp * 1000 + this.leewayMs
      if (keepUntil < now) continue
      if ((this.#expiries.get(sid) ?? -Infinity) < keepUntil) this.#expiries.set(sid, keepUntil)
    }
    this.sweep(now)
  }

  private sweep(now: number): void {
    if (now - this.#sweptAt < SWEEP_INTERVAL_MS) return
    this.#sweptAt = now
    for (const [sid, keepUntil] of this.#expiries) if (keepUntil < now) this.#expiries.delete(sid)
  }
}
