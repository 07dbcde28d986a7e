import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // No foreign key to sessions: a revocation must outlive the pruning of its session row.
  await db.schema
    .createTable('revocations')
    .addColumn('id', 'bigint', (col) => col.generatedByDefaultAsIdentity().primaryKey())
    .addColumn('session_id', 'uuid', (col) => col.notNull())
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull())
    .execute()
  await db.schema.createIndex('revocations_expires_at_idx').on('revocations').column('expires_at').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('revocations').execute()
}
