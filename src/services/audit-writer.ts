import type { Db } from '../db/create-db.js'
import { insertAuditEvents } from '../db/audit-events.js'
import type { AuditEventRow } from '../db/schema.js'

export interface AuditWriterOptions {
  flushIntervalMs: number
  /** A batch this large is written at once, without waiting for the interval. */
  maxBatch?: number
  /** While the database cannot take them, at most this many wait; the oldest beyond it are dropped (and counted). */
  maxBuffered?: number
  onError: (error: unknown, pending: number) => void
  onDropped?: (count: number) => void
}

/**
 * Writes audit events in batches: a request only appends to a buffer, and one
 * insert per interval (AUDIT_FLUSH_INTERVAL) writes what gathered. A batch
 * that fails stays buffered and is tried again; each row carries its own id
 * and a retried insert skips the ones already there, so an event is written
 * once. close() writes what is left.
 */
export class AuditWriter {
  #buffer: AuditEventRow[] = []
  #flushing: Promise<void> | undefined
  #timer: NodeJS.Timeout | undefined
  readonly #maxBatch: number
  readonly #maxBuffered: number

  constructor(
    private readonly db: Db,
    private readonly options: AuditWriterOptions,
  ) {
    this.#maxBatch = options.maxBatch ?? 500
    this.#maxBuffered = options.maxBuffered ?? 20_000
    this.#timer = setInterval(() => void this.flush(), options.flushIntervalMs).unref()
  }

  get pending(): number {
    return this.#buffer.length
  }

  add(row: AuditEventRow): void {
    this.#buffer.push(row)
    if (this.#buffer.length > this.#maxBuffered) {
      const dropped = this.#buffer.length - this.#maxBuffered
      this.#buffer.splice(0, dropped)
      this.options.onDropped?.(dropped)
    }
    if (this.#buffer.length >= this.#maxBatch && !this.#flushing) void this.flush()
  }

  /** Writes everything buffered so far (waiting for a write in flight first). Never throws. */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing
    if (this.#buffer.length === 0) return
    this.#flushing = this.#writeAll().finally(() => (this.#flushing = undefined))
    await this.#flushing
  }

  async close(): Promise<void> {
    clearInterval(this.#timer)
    await this.flush()
  }

  async #writeAll(): Promise<void> {
    while (this.#buffer.length > 0) {
      const batch = this.#buffer.splice(0, this.#maxBatch)
      try {
        await insertAuditEvents(this.db, batch)
      } catch (error) {
        // Back in front, in order: the next flush tries them again.
        this.#buffer.unshift(...batch)
        this.options.onError(error, this.#buffer.length)
        return
      }
    }
  }
}
