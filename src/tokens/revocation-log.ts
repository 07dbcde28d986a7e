import type { Revocation } from '../db/revocations.js'

/** One answer of the revocation feed (openapi.yaml's RevocationFeed). */
export interface FeedAnswer {
  /** The id of the newest revocation this answer accounts for; the next request's `after`. */
  cursor: string
  /** True when `revocations` is the whole live set, to replace the client's own. */
  full: boolean
  revocations: { sid: string; exp: number }[]
}

interface Entry {
  id: number
  sid: string
  /** Epoch milliseconds after which the entry no longer matters. */
  expiresAt: number
}

/**
 * The denylist entries synced from the table, in id order, as the feed serves
 * them. Entries leave once expired; a cursor older than what left gets the
 * full set (harmless: it is the truth), as does one from the future.
 */
export class RevocationLog {
  #entries: Entry[] = []
  #cursor = 0
  /** Entries with ids at or below this may have left; a cursor below it cannot be continued. */
  #floor = 0
  readonly #waiters = new Set<() => void>()
  /** Shutting down: nothing waits any more. */
  #closing = false

  get cursor(): number {
    return this.#cursor
  }

  /** The live set at `cursor`, as a start from the table. */
  reset(cursor: number, entries: Revocation[]): void {
    this.#entries = entries.map(toEntry).sort((a, b) => a.id - b.id)
    this.#cursor = cursor
    // Rows below the oldest live one may have been pruned (or expired): unknown, so treated as gone.
    this.#floor = this.#entries.length > 0 ? this.#entries[0]!.id - 1 : cursor
    this.#wake()
  }

  /** Rows read from the table after the cursor, in id order. */
  append(rows: Revocation[]): void {
    if (rows.length === 0) return
    for (const row of rows) if (row.id > this.#cursor) this.#entries.push(toEntry(row))
    this.#cursor = Math.max(this.#cursor, rows[rows.length - 1]!.id)
    this.#wake()
  }

  /** Drops expired entries. */
  sweep(now: number): void {
    const kept: Entry[] = []
    for (const entry of this.#entries) {
      if (entry.expiresAt > now) kept.push(entry)
      else this.#floor = Math.max(this.#floor, entry.id)
    }
    this.#entries = kept
  }

  /** Answers every waiting request now, and from now on answers at once. */
  stopWaiting(): void {
    this.#closing = true
    this.#wake()
  }

  async after(cursor: number | undefined, waitMs: number, signal: AbortSignal | undefined, now: number): Promise<FeedAnswer> {
    if (cursor === undefined || cursor > this.#cursor || cursor < this.#floor) return this.#full(now)
    if (this.#cursor === cursor && waitMs > 0 && !this.#closing) await this.#next(waitMs, signal)
    // A shutdown, a restart from the table (reset) or a sweep may have happened while waiting.
    if (cursor < this.#floor) return this.#full(now)
    return {
      cursor: String(this.#cursor),
      full: false,
      revocations: this.#entries.slice(firstAfter(this.#entries, cursor)).filter((entry) => entry.expiresAt > now).map(toWire),
    }
  }

  #full(now: number): FeedAnswer {
    return {
      cursor: String(this.#cursor),
      full: true,
      revocations: this.#entries.filter((entry) => entry.expiresAt > now).map(toWire),
    }
  }

  /** Resolves when the cursor moves (or on release), after `ms` at the latest, or when the request goes away. */
  #next(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        this.#waiters.delete(done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      signal?.addEventListener('abort', done, { once: true })
      this.#waiters.add(done)
    })
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter()
  }
}

function toEntry(row: Revocation): Entry {
  return { id: row.id, sid: row.session_id, expiresAt: row.expires_at.getTime() }
}

function toWire(entry: Entry): { sid: string; exp: number } {
  return { sid: entry.sid, exp: Math.ceil(entry.expiresAt / 1000) }
}

/** The index of the first entry whose id is above `cursor` (entries are in id order). */
function firstAfter(entries: Entry[], cursor: number): number {
  let low = 0
  let high = entries.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (entries[middle]!.id <= cursor) low = middle + 1
    else high = middle
  }
  return low
}
