import { sql } from 'kysely'
import type { LoginNamesTable, UsersTable } from './schema.js'
import type { Trx } from './transaction.js'

/** A user as an import writes it: the id is the one the old system gave (tokens' `sub` stay the same). */
export type ImportedUser = Omit<
  UsersTable,
  'id' | 'first_name' | 'last_name' | 'is_staff' | 'is_active' | 'email_verified' | 'profile'
> & {
  id: number
  /** Imported addresses count as verified unless allauth's email addresses say otherwise. */
  email_verified: boolean
  profile: Record<string, unknown>
  first_name: string
  last_name: string
  is_staff: boolean
  is_active: boolean
}

/**
 * Keeps registrations and email changes from claiming login names while an
 * import batch decides which of its names are free and inserts them: the
 * check and the insert then cannot race. Held for one batch, milliseconds.
 */
export async function lockLoginNames(trx: Trx): Promise<void> {
  await sql`lock table login_names in share row exclusive mode`.execute(trx)
}

/** The usernames of the users that have these ids. */
export async function usernamesById(trx: Trx, ids: number[]): Promise<Map<number, string | null>> {
  if (ids.length === 0) return new Map()
  const rows = await trx.selectFrom('users').select(['id', 'username']).where('id', 'in', ids).execute()
  return new Map(rows.map((row) => [row.id, row.username]))
}

/** Which of these (already folded) login names some account has. */
export async function takenLoginNames(trx: Trx, names: string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set()
  const rows = await trx.selectFrom('login_names').select('name').where('name', 'in', names).execute()
  return new Set(rows.map((row) => row.name))
}

/**
 * Inserts users with their own ids in one statement. Returns the ids actually
 * inserted: an id that appeared since the check (a registration racing the
 * import) is left alone rather than failing the batch.
 */
export async function insertImportedUsers(trx: Trx, users: ImportedUser[]): Promise<Set<number>> {
  if (users.length === 0) return new Set()
  const rows = await trx
    .insertInto('users')
    .values(users)
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .execute()
  return new Set(rows.map((row) => row.id))
}

/** Login names already folded and known to be free (see lockLoginNames). */
export async function insertLoginNames(trx: Trx, names: LoginNamesTable[]): Promise<void> {
  if (names.length > 0) await trx.insertInto('login_names').values(names).execute()
}

/**
 * Moves the users id identity past the largest id, so the next registration
 * does not draw an id an import already used. Only ever forward: an id a
 * registration has drawn but not yet committed is never handed out again.
 * setval is not transactional; a batch rolled back leaves only a gap.
 */
export async function moveUserIdsPastLargest(trx: Trx): Promise<void> {
  await sql`
    select setval(seq, largest)
    from (select pg_get_serial_sequence('users', 'id') as seq, (select max(id) from users) as largest) as identity
    where largest > coalesce(pg_sequence_last_value(seq::regclass), 0)`.execute(trx)
}
