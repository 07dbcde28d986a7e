import { sql } from 'kysely'
import type { AuditEventRow } from './schema.js'
import type { Executor } from './transaction.js'

/** One insert for a whole batch; a row already there (a retried batch) is skipped. */
export async function insertAuditEvents(db: Executor, rows: AuditEventRow[]): Promise<void> {
  if (rows.length === 0) return
  await db.insertInto('audit_events').values(rows).onConflict((oc) => oc.column('id').doNothing()).execute()
}

export interface AuditFilter {
  userId?: number
  type?: string
  /** The last event of the previous page: the page continues after it (newest first). */
  after?: { occurredAt: Date; id: string }
  limit: number
}

/** Events newest first; a keyset on (occurred_at, id), so pages neither repeat nor skip when events are added. */
export function listAuditEvents(db: Executor, filter: AuditFilter): Promise<AuditEventRow[]> {
  let query = db.selectFrom('audit_events').selectAll()
  if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId)
  if (filter.type !== undefined) query = query.where('type', '=', filter.type)
  const after = filter.after
  if (after) query = query.where(sql<boolean>`(occurred_at, id) < (${after.occurredAt}::timestamptz, ${after.id}::uuid)`)
  return query.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute()
}

export async function deleteAuditEventsBefore(db: Executor, before: Date): Promise<number> {
  const result = await db.deleteFrom('audit_events').where('occurred_at', '<', before).executeTakeFirst()
  return Number(result.numDeletedRows)
}
