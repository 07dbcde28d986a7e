import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('email_verification_tokens')
    // SHA-256 of the token sent by mail: the token itself is never stored.
    .addColumn('token_hash', 'text', (col) => col.primaryKey())
    .addColumn('user_id', 'bigint', (col) => col.notNull().references('users.id').onDelete('cascade'))
    // The address the link was mailed to: it verifies that address and no other.
    .addColumn('email', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull())
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .execute()
  await db.schema
    .createIndex('email_verification_tokens_user_id_idx')
    .on('email_verification_tokens')
    .columns(['user_id', 'created_at'])
    .execute()
  await db.schema
    .createIndex('email_verification_tokens_expires_at_idx')
    .on('email_verification_tokens')
    .column('expires_at')
    .execute()
  // A resend names an address that is not a login name yet (unverified, or pending).
  await db.schema.createIndex('users_email_idx').on('users').column('email').execute()
  await db.schema.createIndex('users_pending_email_idx').on('users').column('pending_email').execute()
  // With LOGIN_FIELDS=email and verification on, an unverified address is the
  // account's only login name: it holds the name until a newer registration
  // of the same address takes it over, or any holder verifies it.
  await sql`alter table login_names drop constraint login_names_kind_check`.execute(db)
  await sql`alter table login_names add constraint login_names_kind_check check (kind in ('username', 'email', 'unverified_email'))`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from login_names where kind = 'unverified_email'`.execute(db)
  await sql`alter table login_names drop constraint login_names_kind_check`.execute(db)
  await sql`alter table login_names add constraint login_names_kind_check check (kind in ('username', 'email'))`.execute(db)
  await db.schema.dropIndex('users_pending_email_idx').execute()
  await db.schema.dropIndex('users_email_idx').execute()
  await db.schema.dropTable('email_verification_tokens').execute()
}
