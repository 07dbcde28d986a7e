import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // Failed password checks per login name (folded as login names are), for
  // the progressive slowdown. Keyed by the name asked for, not by an account,
  // so a name that has no account is slowed exactly as one that has: the
  // slowdown tells nobody which names exist. A row appears at the first
  // failure and is pruned once its failures are forgotten.
  await db.schema
    .createTable('login_attempts')
    .addColumn('name', 'text', (col) => col.primaryKey())
    .addColumn('failures', 'integer', (col) => col.notNull())
    .addColumn('last_failed_at', 'timestamptz', (col) => col.notNull())
    // The end of the last attempt slot handed out: concurrent attempts queue behind it.
    .addColumn('next_attempt_at', 'timestamptz', (col) => col.notNull())
    // Every attempt on a slowed name updates its row in place (HOT).
    .modifyEnd(sql`with (fillfactor = 90)`)
    .execute()
  await db.schema.createIndex('login_attempts_last_failed_at_idx').on('login_attempts').column('last_failed_at').execute()
  // The count moved here; on the user row it slowed only names that had an account.
  await db.schema.alterTable('users').dropColumn('failed_logins').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('failed_logins', 'integer', (col) => col.notNull().defaultTo(0)).execute()
  await db.schema.dropTable('login_attempts').execute()
}
