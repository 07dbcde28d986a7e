import type { Clock } from '../clock.js'
import type { Db } from '../db/create-db.js'
import { listenerFor, type Subscription } from '../db/notifications.js'
import { listRevocationsAfter, loadLiveRevocations, REVOCATIONS_CHANNEL, type Revocation } from '../db/revocations.js'
import { problem } from '../errors.js'
import { RevocationLog, type FeedAnswer } from './revocation-log.js'

export interface DenylistOptions {
  syncIntervalMs: number
  onSyncError?: (error: unknown) => void
  /** LISTEN failed or its connection dropped; the poll carries on. */
  onListenError?: (error: unknown) => void
}

const BATCH = 1000
const SWEEP_EVERY_MS = 60_000

/**
 * The revoked sessions, held in memory so that checking a token costs a Map
 * lookup instead of a database round trip. The revocations table is the truth:
 * every instance follows it by id (ids commit in order, see revocations.ts).
 * A commit NOTIFYs; every instance listening syncs at once, and polls every
 * DENYLIST_SYNC_INTERVAL regardless, so a notification lost while a listener
 * reconnects delays a revocation by one interval at most and loses nothing.
 * This instance applies its own revocations at once (remember()).
 *
 * The entries synced from the table, in id order, also serve the revocation
 * feed (changesAfter): a cursor is a revocation id, the same on every instance.
 *
 * If the database cannot be read for a while, the set could be missing recent
 * logouts; past maxStaleness, checks fail with `unavailable` instead of
 * answering from a set that may be wrong.
 */
export class Denylist {
  readonly #revoked = new Map<string, number>()
  readonly #log = new RevocationLog()
  #syncedAt = -Infinity
  #sweptAt = 0
  #timer: NodeJS.Timeout | undefined
  #stopped = false
  /** Why the last sync failed, for the log of requests refused meanwhile. */
  #lastSyncError: unknown
  #syncing: Promise<void> | undefined
  #syncAgain = false
  #subscription: Subscription | undefined
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
    this.#apply(entries)
    this.#log.reset(cursor, entries)
    this.#syncedAt = performance.now()
    const listen = listenerFor(this.db)
    if (listen) {
      this.#subscription = await listen(REVOCATIONS_CHANNEL, {
        onNotify: () => this.syncSoon(),
        // Whatever was announced while the connection was down is in the table.
        onReconnect: () => this.syncSoon(),
        onError: (error) => this.options.onListenError?.(error),
      })
    }
    this.#schedule()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    this.#log.stopWaiting()
    await this.#subscription?.close()
  }

  /** Answers every feed request still waiting, and stops waiting (a shutdown must not wait out long polls). */
  stopWaiting(): void {
    this.#log.stopWaiting()
  }

  /** Sessions whose tokens are refused (entries past their expiry go at the next sweep). */
  get size(): number {
    return this.#revoked.size
  }

  /** Milliseconds since the last successful sync (monotonic clock). */
  get sinceSyncMs(): number {
    return performance.now() - this.#syncedAt
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

  /**
   * Entries this instance has just committed: they apply here at once, and a
   * sync follows at once, which puts them in the feed in their id order.
   */
  remember(entries: Iterable<Pick<Revocation, 'session_id' | 'expires_at'>>): void {
    this.#apply(entries)
    this.syncSoon()
  }

  /** Runs a sync now, or right after the one in flight (which may have missed what prompted this). */
  syncSoon(): void {
    if (this.#stopped) return
    if (this.#syncing) {
      this.#syncAgain = true
      return
    }
    this.#syncing = this.sync()
      .catch((error) => this.#syncFailed(error))
      .finally(() => {
        this.#syncing = undefined
        if (this.#syncAgain) {
          this.#syncAgain = false
          this.syncSoon()
        }
      })
  }

  /** Reads what was revoked since the last sync. */
  async sync(): Promise<void> {
    for (;;) {
      const batch = await listRevocationsAfter(this.db, this.#log.cursor, BATCH)
      this.#apply(batch)
      this.#log.append(batch)
      if (batch.length < BATCH) break
    }
    this.#syncedAt = performance.now()
    this.#lastSyncError = undefined
    this.#sweep()
  }

  /**
   * The revocation feed: what was revoked after `cursor`, waiting up to
   * `waitMs` for something new. Without a cursor, or with one this instance
   * cannot continue (from the future: a restored database; or older than what
   * it still holds), the whole live set, flagged `full` for the client to
   * replace its own with.
   */
  async changesAfter(cursor: number | undefined, waitMs: number, signal?: AbortSignal): Promise<FeedAnswer> {
    this.assertFresh()
    if (cursor !== undefined && cursor > this.#log.cursor) {
      // Another instance may simply be ahead of this one: catch up first.
      await this.#syncNow()
    }
    return this.#log.after(cursor, waitMs, signal, this.clock.now())
  }

  #apply(entries: Iterable<Pick<Revocation, 'session_id' | 'expires_at'>>): void {
    for (const entry of entries) {
      const expiresAt = entry.expires_at.getTime()
      if (expiresAt > (this.#revoked.get(entry.session_id) ?? 0)) this.#revoked.set(entry.session_id, expiresAt)
    }
  }

  async #syncNow(): Promise<void> {
    this.syncSoon()
    await this.#syncing
  }

  #syncFailed(error: unknown): void {
    this.#lastSyncError = error
    this.options.onSyncError?.(error)
  }

  #schedule(): void {
    if (this.#stopped) return
    this.#timer = setTimeout(() => {
      this.syncSoon()
      // The next poll is counted from the end of this one.
      const running = this.#syncing
      if (running) void running.finally(() => this.#schedule())
      else this.#schedule()
    }, this.options.syncIntervalMs)
    this.#timer.unref()
  }

  #sweep(): void {
    const now = this.clock.now()
    if (now - this.#sweptAt < SWEEP_EVERY_MS) return
    this.#sweptAt = now
    for (const [sessionId, expiresAt] of this.#revoked) if (expiresAt <= now) this.#revoked.delete(sessionId)
    this.#log.sweep(now)
  }
}
