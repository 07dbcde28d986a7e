import type { Clock } from '../clock.js'
import type { User } from './views.js'

const MAX_ENTRIES = 10_000

/**
 * Recently read users, kept for at most `ttlMs`, so a burst of
 * GET /me costs one query per user per TTL instead of one per request (on a
 * small machine the round trip is most of the cost of the request). Writes made
 * through this instance update it at once; writes made elsewhere (another
 * instance, SQL) show within the TTL, the bound within which a logout reaches
 * other instances too. `null` caches "no active user with this id".
 */
export class UserCache {
  readonly #entries = new Map<number, { user: User | null; storedAt: number }>()

  constructor(
    private readonly ttlMs: number,
    private readonly clock: Clock,
  ) {}

  /** The cached view if it is fresh; undefined when the database must be asked. */
  get(id: number): User | null | undefined {
    const entry = this.#entries.get(id)
    if (!entry) return undefined
    if (this.clock.now() - entry.storedAt >= this.ttlMs) {
      this.#entries.delete(id)
      return undefined
    }
    return entry.user
  }

  set(id: number, user: User | null): void {
    if (this.ttlMs <= 0) return
    this.#entries.delete(id)
    // Maps iterate in insertion order: the first key is the oldest entry.
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!)
    this.#entries.set(id, { user, storedAt: this.clock.now() })
  }
}
