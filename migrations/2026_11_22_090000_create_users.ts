import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'bigint', (col) => col.generatedByDefaultAsIdentity().primaryKey())
    .addColumn('username', 'text', (col) => col.notNull())
    .addColumn('email', 'text')
    .addColumn('password', 'text', (col) => col.notNull())
    .addColumn('first_name', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('last_name', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('is_staff', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('is_active', 'boolean', (col) => col.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('last_login_at', 'timestamptz')
    // Consecutive failed logins, for the progressive slowdown of an account under attack.
    .addColumn('failed_logins', 'integer', (col) => col.notNull().defaultTo(0))
    .execute()

  // Every name a user can log in with (the username, the email) in one table
  // whose key is the name case-folded by the application: usernames and emails
  // share one namespace, so no one can take a name that logs in as someone
  // else, and uniqueness does not depend on the database's collation.
  await db.schema
    .createTable('login_names')
    .addColumn('name', 'text', (col) => col.primaryKey())
    .addColumn('user_id', 'bigint', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('kind', 'text', (col) => col.notNull().check(sql`kind in ('username', 'email')`))
    .execute()
  await db.schema.createIndex('login_names_user_id_idx').on('login_names').column('user_id').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('login_names').execute()
  await db.schema.dropTable('users').execute()
}
