import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { PasswordHasher } from '../crypto/passwords.js'
import type { PoolStats } from '../db/pool-stats.js'
import { RequestMetrics } from './request-metrics.js'
import type { SecurityEvent } from './security-events.js'

/** What the gauges read when scraped. */
export interface MetricSources {
  denylist: { readonly size: number; readonly sinceSyncMs: number }
  pool: () => PoolStats | undefined
  auditPending: () => number
}

/**
 * The service's Prometheus metrics (prom-client), one registry per app so
 * two apps in one process (tests) do not share counts. Counters move from
 * the security events (count) and the HTTP hooks; gauges are read at scrape.
 */
export class Metrics {
  readonly registry = new Registry()
  readonly #requests: RequestMetrics
  readonly #logins: Counter<'outcome'>
  readonly #refreshes: Counter<'outcome'>
  readonly #revocations: Counter<'reason'>
  readonly #events: Counter<'type'>
  readonly #hashDuration: Histogram<'operation'>
  readonly auditDropped: Counter

  constructor(sources: MetricSources) {
    const registers = [this.registry]
    this.#requests = new RequestMetrics(this.registry)
    this.#logins = new Counter({
      name: 'keyturn_logins_total',
      help: 'Logins by outcome: ok, bad_password, unknown_name, inactive, slowed (login slowdown), rate_limited, email_not_verified',
      labelNames: ['outcome'],
      registers,
    })
    this.#refreshes = new Counter({
      name: 'keyturn_refreshes_total',
      help: 'Refreshes by outcome: rotated, raced (a second tab, answered with the current token), reused (a replay: the session ended), refused',
      labelNames: ['outcome'],
      registers,
    })
    this.#revocations = new Counter({
      name: 'keyturn_revocations_total',
      help: 'Denylist entries written (sessions ended while their access tokens were live), by reason',
      labelNames: ['reason'],
      registers,
    })
    this.#events = new Counter({
      name: 'keyturn_security_events_total',
      help: 'Security events recorded (the audit log), by type',
      labelNames: ['type'],
      registers,
    })
    this.auditDropped = new Counter({
      name: 'keyturn_audit_events_dropped_total',
      help: 'Audit events dropped because the database could not take them for too long',
      registers,
    })
    this.#hashDuration = new Histogram({
      name: 'keyturn_password_hash_duration_seconds',
      help: 'Time of one password hash or verification (argon2id, or an imported Django hash), by operation',
      labelNames: ['operation'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    })
    const { denylist, pool, auditPending } = sources
    new Gauge({
      name: 'keyturn_denylist_entries',
      help: 'Sessions this instance refuses tokens of (live denylist entries)',
      registers,
      collect() {
        this.set(denylist.size)
      },
    })
    new Gauge({
      name: 'keyturn_denylist_sync_age_seconds',
      help: 'Seconds since this instance last read the revocations table successfully; past max(10 x DENYLIST_SYNC_INTERVAL, 5 s) it answers 503',
      registers,
      collect() {
        this.set(denylist.sinceSyncMs / 1000)
      },
    })
    new Gauge({
      name: 'keyturn_audit_events_pending',
      help: 'Audit events buffered, not yet written',
      registers,
      collect() {
        this.set(auditPending())
      },
    })
    const poolGauge = (name: string, help: string, read: (stats: PoolStats) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const stats = pool()
          if (stats) this.set(read(stats))
        },
      })
    poolGauge('keyturn_db_pool_connections', 'Database connections open (the embedded database has one)', (stats) => stats.total)
    poolGauge('keyturn_db_pool_idle', 'Database connections open and idle', (stats) => stats.idle)
    poolGauge('keyturn_db_pool_waiting', 'Queries waiting for a database connection', (stats) => stats.waiting)
    collectDefaultMetrics({ register: this.registry })
  }

  /** What a route calls on each response (RequestMetrics). */
  recorder(operation: string): (status: number, seconds: number) => void {
    return this.#requests.recorder(operation)
  }

  /** The counters a security event moves. */
  count(event: SecurityEvent): void {
    switch (event.type) {
      case 'login_succeeded':
        this.#logins.inc({ outcome: 'ok' })
        break
      case 'login_failed':
        this.#logins.inc({ outcome: event.reason })
        break
      case 'token_refreshed':
        this.#refreshes.inc({ outcome: event.outcome })
        return
      case 'refresh_reuse_detected':
        this.#refreshes.inc({ outcome: 'reused' })
        break
      case 'sessions_revoked':
        this.#revocations.inc({ reason: event.reason }, event.count)
        return
    }
    this.#events.inc({ type: event.type })
  }

  /** The hasher, timed. */
  timed(passwords: PasswordHasher): PasswordHasher {
    const time = async <T>(operation: string, work: () => Promise<T>): Promise<T> => {
      const end = this.#hashDuration.startTimer({ operation })
      try {
        return await work()
      } finally {
        end()
      }
    }
    return {
      hash: (password) => time('hash', () => passwords.hash(password)),
      verify: (stored, password) => time('verify', () => passwords.verify(stored, password)),
      verifyDummy: (password) => time('verify', () => passwords.verifyDummy(password)),
      needsRehash: (stored) => passwords.needsRehash(stored),
    }
  }
}
