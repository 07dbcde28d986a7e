import type { Clock } from '../clock.js'
import type { Db } from '../db/create-db.js'
import { listRevocationsAfter, loadLiveRevocations, type Revocation } from '../db/revocations.js'
import { problem } from '../errors.js'

export interface DenylistOptions {
  syncIntervalMs: number
  onSyncError?: (error: unknown) => void
}

const BATCH = 1000
const SWEEP_EVERY_MS = 60_000

/**
 * The revoked sessions, held in memory so that checking a token costs a Map
 * lookup instead of a database round trip. The revocations table is the truth:
 * every instance follows it by id (ids commit in order, see revocations.ts), so
 * a logout on one instance reaches the others within one sync interval, and
 * this instance sees its own revocations at once (remember()).
 *
 * If the database cannot be read for a while, the set could be missing recent
 * logouts; past maxStaleness, checks fail with `unavailable` instead of
 * answering from a set that may be wrong.
 */
export class Denylist {
  readonly #revoked = new Map<string, number>()
  #cursor = 0
  #syncedAt = -Infinity
  #sweptAt = 0
  #timer: NodeJS.Timeout | undefined
  #stopped = false
  /** Why the last sync failed, for the log of requests refused meanwhile. */
  #lastSyncError: unknown
  readonly #maxStalenessMs: number

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly options: DenylistOptions,
  ) {
    this.#maxStalenessMs = Math.max(10 * options.syncIntervalMs, 5_000)
  }

  async start(): Promise<void> {
    const { cursor, entries } = await loadLiveRevocations(this.db, new Date(this.clock.now()))
    this.#cursor = cursor
    this.remember(entries)
    this.#syncedAt = performance.now()
    this.#schedule()
  }

  stop(): void {
    this.#stopped = true
    clearTimeout(this.#timer)
  }

  /** Whether tokens of this session must be refused; throws `unavailable` if the set may be out of date. */
  isRevoked(sessionId: string): boolean {
    this.assertFresh()
    const expiresAt = this.#revoked.get(sessionId)
    return expiresAt !== undefined && expiresAt > this.clock.now()
  }

  /** Throws `unavailable` when the last successful sync is too old to trust. */
  assertFresh(): void {
    // Measured on the monotonic clock: staleness is about the sync loop, not about token time.
    if (performance.now() - this.#syncedAt > this.#maxStalenessMs) {
      throw problem('unavailable', {
        detail: 'Revocations cannot be checked right now: the denylist has not synced recently.',
        headers: { 'retry-after': '1' },
        cause: this.#lastSyncError,
      })
    }
  }

  /** Adds entries this instance has just committed, so its own logouts apply without waiting for a sync. */
  remember(entries: Iterable<Pick<Revocation, 'session_id' | 'expires_at'>>): void {
    for (const entry of entries) {
      const expiresAt = entry.expires_at.getTime()
      if (expiresAt > (this.#revoked.get(entry.session_id) ?? 0)) this.#revoked.set(entry.session_id, expiresAt)
    }
  }

  /** Reads what was revoked since the last sync. */
  async sync(): Promise<void> {
    for (;;) {
      const batch = await listRevocationsAfter(this.db, this.#cursor, BATCH)
      this.remember(batch)
      if (batch.length > 0) this.#cursor = batch[batch.length - 1]!.id
      if (batch.length < BATCH) break
    }
    this.#syncedAt = performance.now()
    this.#lastSyncError = undefined
    this.#sweep()
  }

  #schedule(): void {
    if (this.#stopped) return
    this.#timer = setTimeout(() => {
      this.sync()
        .catch((error) => {
          this.#lastSyncError = error
          this.options.onSyncError?.(error)
        })
        .finally(() => this.#schedule())
    }, this.options.syncIntervalMs)
    this.#timer.unref()
  }

  #sweep(): void {
    const now = this.clock.now()
    if (now - this.#sweptAt < SWEEP_EVERY_MS) return
    this.#sweptAt = now
    for (const [sessionId, expiresAt] of this.#revoked) if (expiresAt <= now) this.#revoked.delete(sessionId)
  }
}
