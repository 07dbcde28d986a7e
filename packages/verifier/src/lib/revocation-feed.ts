import { backoffMs, delay } from './delay.js'
import { FeedError, requestFeed, type FeedAnswer } from './feed-request.js'
import type { HttpClient } from './http-client.js'
import type { ResolvedFeedOptions } from './options.js'
import { RevocationSet } from './revocation-set.js'

/** Consecutive feed requests never start closer together than this, whatever the server does. */
const MIN_REQUEST_SPACING_MS = 50
/** The longest hold keyturn grants. */
const MAX_WAIT_SECONDS = 30

interface Waiter {
  resolve(): void
  reject(error: Error): void
}

/**
 * Follows keyturn's revocation feed: one full sync, then long polls from the
 * last cursor, each applied to the set as it lands. The set is trusted only
 * while the last answer is younger than maxStaleness; `wait` is half of
 * that, so a healthy feed answers (even with nothing new) well inside it.
 * Failures back off exponentially; close() aborts whatever is in flight.
 */
export class RevocationFeed {
  readonly revoked: RevocationSet
  readonly #options: ResolvedFeedOptions
  readonly #now: () => number
  readonly #closed: AbortSignal
  readonly #client: HttpClient
  readonly #waitSeconds: number
  #cursor: string | undefined
  #lastAnswerAt: number | undefined
  #waiters: Waiter[] = []
  #running: Promise<void> | undefined

  constructor(
    options: ResolvedFeedOptions,
    context: { leewayMs: number; now: () => number; closed: AbortSignal; client: HttpClient },
  ) {
    this.#options = options
    this.#now = context.now
    this.#closed = context.closed
    this.#client = context.client
    this.revoked = new RevocationSet(context.leewayMs, context.now)
    this.#waitSeconds = Math.min(MAX_WAIT_SECONDS, Math.floor(options.maxStalenessMs / 2 / 1000))
    this.#closed.addEventListener('abort', () => this.#rejectWaiters(new Error('the verifier was closed')), { once: true })
  }

  start(): void {
    this.#running ??= this.#follow()
  }

  /** True while the set cannot be trusted: never synced, or the last answer is older than maxStaleness. */
  get stale(): boolean {
    return this.#lastAnswerAt === undefined || this.#now() - this.#lastAnswerAt > this.#options.maxStalenessMs
  }

  /** Resolves once the feed has answered at least once; rejects if keyturn refuses this verifier or it is closed. */
  synced(): Promise<void> {
    if (this.#lastAnswerAt !== undefined) return Promise.resolve()
    if (this.#closed.aborted) return Promise.reject(new Error('the verifier was closed'))
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }))
  }

  /** Waits for the loop to notice the abort of `closed` (and the end of its request, which the HTTP client's close() destroys). */
  async stopped(): Promise<void> {
    await this.#running
  }

  async #follow(): Promise<void> {
    let failures = 0
    while (!this.#closed.aborted) {
      const startedAt = performance.now()
      try {
        const answer = await this.#request()
        this.#apply(answer)
        failures = 0
        await delay(this.#pauseAfter(answer, performance.now() - startedAt), this.#closed)
      } catch (error) {
        if (this.#closed.aborted) return
        failures += 1
        this.#failed(error instanceof FeedError ? error : new FeedError(String(error), { cause: error }))
        await delay(backoffMs(failures), this.#closed)
      }
    }
  }

  #request(): Promise<FeedAnswer> {
    const after = this.#cursor
    // Past this the connection is presumed dead: a healthy long poll answers
    // after `wait` seconds, and the set is about to go stale anyway.
    const timeoutMs =
      after === undefined
        ? Math.max(5_000, this.#options.maxStalenessMs)
        : this.#waitSeconds * 1000 + Math.max(1_000, this.#options.maxStalenessMs / 2)
    return requestFeed({
      client: this.#client,
      url: this.#options.url,
      token: this.#options.token,
      after,
      wait: this.#waitSeconds,
      timeoutMs,
    })
  }

  #apply(answer: FeedAnswer): void {
    if (answer.full) this.revoked.replace(answer.revocations)
    else this.revoked.merge(answer.revocations)
    this.#cursor = answer.cursor
    this.#lastAnswerAt = this.#now()
    const waiters = this.#waiters
    this.#waiters = []
    for (const waiter of waiters) waiter.resolve()
  }

  /**
   * After news, or a long poll the server held, ask again at once (more may
   * be queued). After an empty answer that came back early (wait 0, or a
   * proxy that ignores it), pause a quarter of maxStaleness, so nothing turns
   * into a busy loop.
   */
  #pauseAfter(answer: FeedAnswer, elapsedMs: number): number {
    const news = answer.full || answer.revocations.length > 0
    const held = this.#waitSeconds > 0 && elapsedMs >= this.#waitSeconds * 500
    if (news || held) return Math.max(0, MIN_REQUEST_SPACING_MS - elapsedMs)
    return this.#options.maxStalenessMs / 4
  }

  #failed(error: FeedError): void {
    // keyturn could not read our cursor (its format changed): start over from a full sync.
    if (error.status === 400) this.#cursor = undefined
    if (error.refused) this.#rejectWaiters(error)
    try {
      this.#options.onError(error)
    } catch {
      // A throwing onError must not stop the feed.
    }
  }

  #rejectWaiters(error: Error): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const waiter of waiters) waiter.reject(error)
  }
}
