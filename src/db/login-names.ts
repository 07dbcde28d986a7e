import type { Executor, Trx } from './transaction.js'

/**
 * The key a login name (username or email) is unique under and looked up by.
 * Computed here, and only here, so that "Alice", "ALICE" and "alice" are one
 * name whatever the database's collation. Upper then lower approximates
 * Unicode case folding (ß and ss meet, final and medial sigma meet); NFKC on
 * both sides keeps compatibility characters from making look-alikes distinct.
 */
export function foldLoginName(name: string): string {
  return name.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC')
}

/**
 * The name a user's password checks are counted under (the login slowdown):
 * their username, or, for an account without one (LOGIN_FIELDS=email), their email.
 */
export function loginNameOf(user: { id: number; username: string | null; email: string | null }): string {
  return user.username ?? user.email ?? `#${user.id}`
}

async function claim(trx: Trx, userId: number, name: string, kind: 'username' | 'email'): Promise<boolean> {
  const claimed = await trx
    .insertInto('login_names')
    .values({ name: foldLoginName(name), user_id: userId, kind })
    .onConflict((oc) => oc.doNothing())
    .returning('name')
    .executeTakeFirst()
  return claimed !== undefined
}

/**
 * Gives a new user their login names. Returns the kind of name someone else
 * already has (as username or as email), or undefined when both were free.
 */
export async function claimLoginNames(
  trx: Trx,
  userId: number,
  names: { username: string; email: string | null },
): Promise<'username' | 'email' | undefined> {
  if (!(await claim(trx, userId, names.username, 'username'))) return 'username'
  if (names.email === null || foldLoginName(names.email) === foldLoginName(names.username)) return undefined
  return (await claim(trx, userId, names.email, 'email')) ? undefined : 'email'
}

/** Replaces a user's email as a login name; false when another account has that name. */
export async function replaceEmailLoginName(
  trx: Trx,
  user: { id: number; username: string | null },
  email: string | null,
): Promise<boolean> {
  await trx.deleteFrom('login_names').where('user_id', '=', user.id).where('kind', '=', 'email').execute()
  if (email === null || (user.username !== null && foldLoginName(email) === foldLoginName(user.username))) return true
  return claim(trx, user.id, email, 'email')
}

export async function findUserIdByLoginName(db: Executor, name: string): Promise<number | undefined> {
  const row = await db.selectFrom('login_names').select('user_id').where('name', '=', foldLoginName(name)).executeTakeFirst()
  return row?.user_id
}
