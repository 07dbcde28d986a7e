import type { Db } from '../src/db/create-db.js'
import type { AuditEventRow } from '../src/db/schema.js'

/** A user's audit events, oldest first, as stored. */
export function auditRows(db: Db, userId: number): Promise<AuditEventRow[]> {
  return db.selectFrom('audit_events').selectAll().where('user_id', '=', userId).orderBy('occurred_at').orderBy('id').execute()
}

/** Every audit row of the database as text, to look for what must never be there. */
export async function auditTableText(db: Db): Promise<string> {
  return JSON.stringify(await db.selectFrom('audit_events').selectAll().execute())
}

/** A reset link's token, out of a mail the SMTP sink received. */
export function resetTokenFrom(raw: string): string {
  const match = /reset\?token=([\w%-]+)/.exec(raw)
  if (!match) throw new Error(`no reset link in the mail:\n${raw}`)
  return decodeURIComponent(match[1]!)
}
