import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // One row per signing key any instance has published: when it was first
  // published and when it may start signing, so every instance switches at the
  // same moment. Rows outlive the key's removal from the configuration (a
  // handful a year); they hold no key material, only its RFC 7638 thumbprint.
  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', 'text', (col) => col.primaryKey())
    .addColumn('alg', 'text', (col) => col.notNull())
    .addColumn('thumbprint', 'text', (col) => col.notNull())
    .addColumn('first_published_at', 'timestamptz', (col) => col.notNull())
    .addColumn('signs_from', 'timestamptz', (col) => col.notNull())
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('signing_keys').execute()
}
