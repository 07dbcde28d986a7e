import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // Security events (logins, logouts, password changes, admin actions). Never
  // a password, token or hash; the user is kept by id only, without a foreign
  // key, so the events of a deleted user outlive the row (with no name).
  await db.schema
    .createTable('audit_events')
    // Made by the instance that saw the event: a batch written twice (a retry
    // after a lost answer) inserts nothing the second time.
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('occurred_at', 'timestamptz', (col) => col.notNull())
    .addColumn('type', 'text', (col) => col.notNull())
    .addColumn('user_id', 'bigint')
    .addColumn('session_id', 'uuid')
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    // Why (login_failed: bad_password, unknown_name...), or how (logout: its scope).
    .addColumn('reason', 'text')
    // Who did it when it was not the user: `user:<id>` (a staff user), `admin_token`, `cli`.
    .addColumn('actor', 'text')
    .execute()
  // Newest first, by user, by type: the admin API's and GET /me/events' orders (keyset on occurred_at, id).
  await sql`CREATE INDEX audit_events_occurred_idx ON audit_events (occurred_at DESC, id DESC)`.execute(db)
  await sql`CREATE INDEX audit_events_user_idx ON audit_events (user_id, occurred_at DESC, id DESC)`.execute(db)
  await sql`CREATE INDEX audit_events_type_idx ON audit_events (type, occurred_at DESC, id DESC)`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_events').execute()
}
