import { sql } from 'kysely'
import type { Executor } from './transaction.js'

/** Resolves when the database answers; throws (a connection error) when it does not. */
export async function pingDatabase(db: Executor): Promise<void> {
  await sql`select 1`.execute(db)
}
