import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // LOGIN_FIELDS=email: an account made without a username (a Django model
  // whose USERNAME_FIELD is email) signs in with its email alone.
  await db.schema.alterTable('users').alterColumn('username', (col) => col.dropNotNull()).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  // Accounts without a username get one made from their id, so they can still be told apart.
  await sql`update users set username = 'user' || id::text where username is null`.execute(db)
  await db.schema.alterTable('users').alterColumn('username', (col) => col.setNotNull()).execute()
}
