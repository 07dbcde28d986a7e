import { foldLoginName, type LoginNameKind } from './login-names.js'
import { precompiled } from './precompiled.js'
import { userColumns, type NewUser, type UserRow, type UserUpdate } from './schema.js'
import type { Executor, Trx } from './transaction.js'

export async function insertUser(db: Executor, user: NewUser): Promise<UserRow> {
  return db.insertInto('users').values(user).returning(userColumns).executeTakeFirstOrThrow()
}

/** Changes an active user; undefined when there is no active user with that id. */
export function updateActiveUser(db: Executor, id: number, changes: UserUpdate): Promise<UserRow | undefined> {
  return db
    .updateTable('users')
    .set(changes)
    .where('id', '=', id)
    .where('is_active', '=', true)
    .returning(userColumns)
    .executeTakeFirst()
}

export async function findUserById(db: Executor, id: number): Promise<UserRow | undefined> {
  return (await findUserByIdQuery(db, { id }))[0]
}

const findUserByIdQuery = precompiled<{ id: number }, UserRow>((db, slot) =>
  db.selectFrom('users').select(userColumns).where('id', '=', slot('id')),
)

/** The active user's profile, locked until the transaction ends: a merge patch reads and writes it as one. */
export async function lockProfile(trx: Trx, id: number): Promise<Record<string, unknown> | undefined> {
  const row = await trx.selectFrom('users').select('profile').where('id', '=', id).where('is_active', '=', true).forUpdate().executeTakeFirst()
  return row?.profile
}

/** Which login names a look-up may go by (LOGIN_FIELDS and EMAIL_VERIFICATION decide; see services/account-rules.ts). */
export interface LoginLookup {
  kinds: readonly LoginNameKind[]
  /** An `email` name counts only if its account's address is verified. */
  verifiedEmails: boolean
}

const anyName: LoginLookup = { kinds: ['username', 'email', 'unverified_email'], verifiedEmails: false }

/** The account a login names: by username or by email (see login-names.ts), as far as `lookup` allows. */
export function findUserByLoginName(db: Executor, name: string, lookup: LoginLookup = anyName): Promise<UserRow | undefined> {
  let query = db
    .selectFrom('login_names')
    .innerJoin('users', 'users.id', 'login_names.user_id')
    .select(userColumns.map((column) => `users.${column}` as const))
    .where('login_names.name', '=', foldLoginName(name))
    .where('login_names.kind', 'in', lookup.kinds)
  if (lookup.verifiedEmails) {
    query = query.where((eb) => eb.or([eb('login_names.kind', '<>', 'email'), eb('users.email_verified', '=', true)]))
  }
  return query.executeTakeFirst()
}

/** Replaces the hash only if it is still the one the caller verified: an upgrade never overwrites a change. */
export async function upgradePasswordHash(db: Executor, id: number, verified: string, upgraded: string): Promise<void> {
  await db.updateTable('users').set({ password: upgraded }).where('id', '=', id).where('password', '=', verified).execute()
}

/**
 * Sets a new password hash. With `replacing`, only if the stored hash is still
 * that one (the one the caller verified): of two changes that raced, the one
 * that verified a hash another has replaced changes nothing. Returns whether
 * the hash was set.
 */
export async function setPasswordHash(db: Executor, id: number, passwordHash: string, replacing?: string): Promise<boolean> {
  let query = db.updateTable('users').set({ password: passwordHash }).where('id', '=', id)
  if (replacing !== undefined) query = query.where('password', '=', replacing)
  const result = await query.executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/**
 * The active user, locked until the transaction ends, if their stored hash is
 * still `passwordHash` (the one the caller verified a password against).
 * Undefined when a password change, a reset or a deactivation has committed
 * since: the caller's proof is stale. Taken first in a transaction, the lock
 * orders it with those changes, which update the same row.
 */
export function lockUserWithHash(trx: Trx, id: number, passwordHash: string): Promise<UserRow | undefined> {
  return trx
    .selectFrom('users')
    .select(userColumns)
    .where('id', '=', id)
    .where('password', '=', passwordHash)
    .where('is_active', '=', true)
    .forUpdate()
    .executeTakeFirst()
}
