import { sql } from 'kysely'
import type { RevocationRow } from './schema.js'
import type { Executor, Trx } from './transaction.js'

export type Revocation = Pick<RevocationRow, 'id' | 'session_id' | 'expires_at'>

/** Any constant: the advisory lock that puts denylist writes in a single line. */
const REVOCATIONS_LOCK = 0x6b657974 // "keyt"

/** NOTIFY channel on which each committed batch of revocations announces its newest id. */
export const REVOCATIONS_CHANNEL = 'keyturn_revocations'

/**
 * Adds denylist entries. Identity values are handed out when a row is
 * inserted, not when it commits; a reader that follows "id > cursor" could then
 * skip an id that commits late. Holding a transaction-scoped advisory lock
 * from before the insert until commit makes ids commit in order, so the feed
 * never skips. Call it last in the transaction: the lock is held until commit.
 */
export async function insertRevocations(
  trx: Trx,
  entries: { session_id: string; expires_at: Date }[],
  createdAt: Date,
): Promise<Revocation[]> {
  if (entries.length === 0) return []
  await sql`select pg_advisory_xact_lock(${REVOCATIONS_LOCK})`.execute(trx)
  const inserted = await trx
    .insertInto('revocations')
    .values(entries.map((entry) => ({ ...entry, created_at: createdAt })))
    .returning(['id', 'session_id', 'expires_at'])
    .execute()
  // Delivered at commit, to every instance listening: they sync at once
  // instead of at their next poll. A notification can be lost (a listener
  // reconnecting); the poll still finds the rows.
  const newest = Math.max(...inserted.map((row) => row.id))
  await sql`select pg_notify(${REVOCATIONS_CHANNEL}, ${String(newest)})`.execute(trx)
  return inserted
}

export function listRevocationsAfter(db: Executor, cursor: number, limit: number): Promise<Revocation[]> {
  return db
    .selectFrom('revocations')
    .select(['id', 'session_id', 'expires_at'])
    .where('id', '>', cursor)
    .orderBy('id')
    .limit(limit)
    .execute()
}

/** The newest id committed, or 0: where a cursor from the future is told apart. */
export async function newestRevocationId(db: Executor): Promise<number> {
  const newest = await db
    .selectFrom('revocations')
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirst()
  return Number(newest?.id ?? 0)
}

/** The newest id, then every entry up to it that is still in force: a cache's starting point. */
export async function loadLiveRevocations(db: Executor, now: Date): Promise<{ cursor: number; entries: Revocation[] }> {
  const cursor = await newestRevocationId(db)
  const entries = await db
    .selectFrom('revocations')
    .select(['id', 'session_id', 'expires_at'])
    .where('id', '<=', cursor)
    .where('expires_at', '>', now)
    .orderBy('id')
    .execute()
  return { cursor, entries }
}

export async function deleteExpiredRevocations(db: Executor, now: Date): Promise<number> {
  const result = await db.deleteFrom('revocations').where('expires_at', '<=', now).executeTakeFirst()
  return Number(result.numDeletedRows)
}
