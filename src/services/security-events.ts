import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Clock } from '../clock.js'
import type { AuditEventRow } from '../db/schema.js'
import type { ClientInfo } from './deps.js'

/** Why a login failed, as the audit log and the metrics tell it (the client is told only invalid_credentials or rate_limited). */
export type LoginFailure = 'bad_password' | 'unknown_name' | 'inactive' | 'slowed' | 'rate_limited' | 'email_not_verified'

/** Who did it, when not the user themselves: a staff user, an ADMIN_TOKENS credential, the CLI. */
export type Actor = `user:${number}` | 'admin_token' | 'cli'

/** The events written to the audit log (audit_events.type). */
export const auditEventTypes = [
  'login_succeeded',
  'login_failed',
  'registered',
  'refresh_reuse_detected',
  'logged_out',
  'session_ended',
  'password_changed',
  'password_reset_requested',
  'password_reset_completed',
  'email_changed',
  'user_deactivated',
  'user_activated',
  'user_deleted',
  'sessions_ended',
] as const

export type AuditEventType = (typeof auditEventTypes)[number]

interface About {
  userId?: number | null
  sessionId?: string | null
  client?: ClientInfo
  actor?: Actor
}

/** How a refresh ended: a new pair, the current pair for a racing tab, a replayed token, or a refusal. */
export type RefreshOutcome = 'rotated' | 'raced' | 'refused'

export type SecurityEvent =
  | (About & { type: 'login_failed'; reason: LoginFailure })
  | (About & { type: 'logged_out'; reason: 'session' | 'others' | 'all' })
  | (About & { type: Exclude<AuditEventType, 'login_failed' | 'logged_out'>; reason?: string })
  // Not audited (too frequent, nothing to investigate): metrics and debug log lines only.
  | { type: 'token_refreshed'; outcome: RefreshOutcome }
  | { type: 'sessions_revoked'; reason: string; count: number }

export type AuditedEvent = Extract<SecurityEvent, { type: AuditEventType }>

/** The one way services report a security event: `deps.emit(event)`. Never waits, never throws. */
export type EmitEvent = (event: SecurityEvent) => void

const MAX_USER_AGENT = 512
const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity }

/** Building a line costs; below the logger's level there is none to build. */
function enabled(log: FastifyBaseLogger, level: 'debug' | 'info'): boolean {
  return LEVELS[level]! >= (LEVELS[log.level] ?? 0)
}

export function isAudited(event: SecurityEvent): event is AuditedEvent {
  return event.type !== 'token_refreshed' && event.type !== 'sessions_revoked'
}

/** The row an audited event becomes; what it is built from holds no secret, and nothing else is copied. */
export function auditRow(event: AuditedEvent, at: number): AuditEventRow {
  return {
    id: randomUUID(),
    occurred_at: new Date(at),
    type: event.type,
    user_id: event.userId ?? null,
    session_id: event.sessionId ?? null,
    ip: event.client?.ip ?? null,
    user_agent: event.client?.userAgent?.slice(0, MAX_USER_AGENT) ?? null,
    reason: event.reason ?? null,
    actor: event.actor ?? null,
  }
}

export interface EventSinks {
  clock: Clock
  log: FastifyBaseLogger
  /** Buffers rows for the audit_events table (AUDIT_LOG); absent when the audit log is off. */
  audit?: { add(row: AuditEventRow): void }
  /** Counts events (logins by outcome, refreshes, revocations); absent when metrics are off. */
  count?: (event: SecurityEvent) => void
}

/**
 * Builds `emit`: each audited event becomes an audit row (written later, in a
 * batch, so the request does not wait) and a structured log line; every
 * event is counted for the metrics. A failing sink must not fail the request
 * that reported the event.
 */
export function createEmitter({ clock, log, audit, count }: EventSinks): EmitEvent {
  return (event) => {
    try {
      count?.(event)
      if (!isAudited(event)) {
        if (enabled(log, 'debug')) log.debug({ event }, 'security event')
        return
      }
      const row = auditRow(event, clock.now())
      audit?.add(row)
      if (enabled(log, 'info')) {
        const { id, occurred_at, ...fields } = row
        log.info({ event: { id, at: occurred_at.toISOString(), ...fields } }, `security event: ${row.type}`)
      }
    } catch (error) {
      log.error({ err: error }, 'recording a security event failed')
    }
  }
}
