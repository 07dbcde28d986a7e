import type { LoginNamesTable } from './schema.js'
import type { Executor, Trx } from './transaction.js'

export type LoginNameKind = LoginNamesTable['kind']

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

/**
 * How a new account's email is held:
 * `email`: a login name at once (EMAIL_VERIFICATION=none);
 * `unverified_email`: the only login name of an account without a username,
 * held until a newer registration of the address takes it over or anyone verifies it;
 * `none`: not a login name until verified, only checked against the names verified accounts hold.
 */
export type EmailClaim = 'email' | 'unverified_email' | 'none'

async function claim(trx: Trx, userId: number, name: string, kind: LoginNameKind): Promise<boolean> {
  const claimed = await trx
    .insertInto('login_names')
    .values({ name: foldLoginName(name), user_id: userId, kind })
    // An unverified hold never blocks: a newer registration (or a verification) takes the name over.
    .onConflict((oc) =>
      kind === 'username'
        ? oc.doNothing()
        : oc.column('name').doUpdateSet({ user_id: userId, kind }).where('login_names.kind', '=', 'unverified_email'),
    )
    .returning('name')
    .executeTakeFirst()
  return claimed !== undefined
}

/** Whether an account other than `userId` holds the name as a username or a (verified, or unverifiable) email. */
async function heldByAnother(db: Executor, userId: number, name: string): Promise<boolean> {
  const row = await db
    .selectFrom('login_names')
    .select('user_id')
    .where('name', '=', foldLoginName(name))
    .where('kind', '<>', 'unverified_email')
    .where('user_id', '<>', userId)
    .executeTakeFirst()
  return row !== undefined
}

/**
 * Gives a new user their login names. Returns the kind of name someone else
 * already has (as username or as email), or undefined when both were free.
 */
export async function claimLoginNames(
  trx: Trx,
  userId: number,
  names: { username: string | null; email: string | null },
  emailClaim: EmailClaim = 'email',
): Promise<'username' | 'email' | undefined> {
  if (names.username !== null && !(await claim(trx, userId, names.username, 'username'))) return 'username'
  if (names.email === null || (names.username !== null && foldLoginName(names.email) === foldLoginName(names.username))) return undefined
  if (emailClaim === 'none') return (await heldByAnother(trx, userId, names.email)) ? 'email' : undefined
  return (await claim(trx, userId, names.email, emailClaim)) ? undefined : 'email'
}

/** Whether another account holds `email` as a login name that an unverified address cannot take over. */
export function emailHeldByAnother(db: Executor, userId: number, email: string): Promise<boolean> {
  return heldByAnother(db, userId, email)
}

/**
 * Replaces a user's email as a login name; false when another account has
 * that name. A verified address takes over an unverified hold of it.
 */
export async function replaceEmailLoginName(
  trx: Trx,
  user: { id: number; username: string | null },
  email: string | null,
): Promise<boolean> {
  await trx.deleteFrom('login_names').where('user_id', '=', user.id).where('kind', 'in', ['email', 'unverified_email']).execute()
  if (email === null || (user.username !== null && foldLoginName(email) === foldLoginName(user.username))) return true
  return claim(trx, user.id, email, 'email')
}

export async function findUserIdByLoginName(db: Executor, name: string): Promise<number | undefined> {
  const row = await db.selectFrom('login_names').select('user_id').where('name', '=', foldLoginName(name)).executeTakeFirst()
  return row?.user_id
}
