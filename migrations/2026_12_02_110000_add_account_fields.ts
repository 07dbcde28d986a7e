import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // Accounts as Django projects have them (DESIGN "Accounts"): an address is
  // verified or not; a changed address waits in pending_email until its link
  // is followed; app-specific fields live in profile (validated against
  // PROFILE_SCHEMA_FILE).
  await db.schema
    .alterTable('users')
    .addColumn('email_verified', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('pending_email', 'text')
    .addColumn('profile', 'jsonb', (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute()
  // Addresses held before verification existed have been login names and
  // reset targets all along; marking them unverified would lock every existing
  // user out the moment an operator turns EMAIL_VERIFICATION to mandatory.
  // They count as verified (as allauth's migration does for existing users);
  // an import with allauth's email addresses sets the real flags.
  await sql`update users set email_verified = true where email is not null and email <> ''`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('users')
    .dropColumn('email_verified')
    .dropColumn('pending_email')
    .dropColumn('profile')
    .execute()
}
