import { listAuditEvents } from '../db/audit-events.js'
import type { AuditEventRow } from '../db/schema.js'
import { problem } from '../errors.js'
import type { ServiceDeps } from './deps.js'

/** An audit event as the admin API shows it: the row, with its time as ISO text under `at`. */
export type AuditEventView = Omit<AuditEventRow, 'occurred_at'> & { at: string }

/** One of the caller's own events: no other user's id (an admin's action shows as `by_admin`). */
export interface OwnEventView {
  id: string
  type: string
  at: string
  session_id: string | null
  ip: string | null
  user_agent: string | null
  reason: string | null
  by_admin: boolean
}

export interface EventPage<T> {
  events: T[]
  next_cursor: string | null
}

export interface AuditQuery {
  user?: number
  type?: string
  cursor?: string
  limit: number
}

/** Newest first; this instance's buffered events are written first, so what it just did is there. */
export async function readAuditLog(deps: Pick<ServiceDeps, 'db' | 'flushAudit'>, query: AuditQuery): Promise<EventPage<AuditEventView>> {
  return page(deps, query, (row) => ({
    id: row.id,
    type: row.type,
    at: row.occurred_at.toISOString(),
    user_id: row.user_id,
    session_id: row.session_id,
    ip: row.ip,
    user_agent: row.user_agent,
    reason: row.reason,
    actor: row.actor,
  }))
}

export async function readOwnEvents(
  deps: Pick<ServiceDeps, 'db' | 'flushAudit'>,
  userId: number,
  query: Omit<AuditQuery, 'user'>,
): Promise<EventPage<OwnEventView>> {
  return page(deps, { ...query, user: userId }, (row) => ({
    id: row.id,
    type: row.type,
    at: row.occurred_at.toISOString(),
    session_id: row.session_id,
    ip: row.ip,
    user_agent: row.user_agent,
    reason: row.reason,
    by_admin: row.actor !== null,
  }))
}

async function page<T>(deps: Pick<ServiceDeps, 'db' | 'flushAudit'>, query: AuditQuery, view: (row: AuditEventRow) => T): Promise<EventPage<T>> {
  await deps.flushAudit()
  const rows = await listAuditEvents(deps.db, {
    ...(query.user !== undefined ? { userId: query.user } : {}),
    ...(query.type !== undefined ? { type: query.type } : {}),
    ...(query.cursor !== undefined ? { after: parseCursor(query.cursor) } : {}),
    limit: query.limit + 1,
  })
  const events = rows.slice(0, query.limit)
  const last = events.at(-1)
  return { events: events.map(view), next_cursor: rows.length > query.limit && last ? cursorOf(last) : null }
}

/** `<epoch ms>_<event id>`: where a page ended (the spec checks the pattern). */
function cursorOf(row: AuditEventRow): string {
  return `${row.occurred_at.getTime()}_${row.id}`
}

function parseCursor(cursor: string): { occurredAt: Date; id: string } {
  const [ms, id] = cursor.split('_')
  const occurredAt = new Date(Number(ms))
  if (!id || Number.isNaN(occurredAt.getTime())) throw problem('validation_failed', { detail: 'cursor: is not a cursor of this list' })
  return { occurredAt, id }
}
