import type { Executor, Trx } from './transaction.js'

/**
 * Stores a reset unless the user already has `cap.count` made since `cap.since`,
 * or their email is no longer `mailedTo` (an email change committed since the
 * account was looked up: the link must not go to the old address). Locks the
 * user's row first, so concurrent requests for one account (from any
 * instance) count one after another, and an email change waits or is waited for.
 */
export async function insertPasswordResetWithinCap(
  trx: Trx,
  reset: { token_hash: string; user_id: number; created_at: Date; expires_at: Date },
  cap: { since: Date; count: number },
  mailedTo: string,
): Promise<boolean> {
  const user = await trx.selectFrom('users').select('email').where('id', '=', reset.user_id).forUpdate().executeTakeFirst()
  if (user?.email !== mailedTo) return false
  const row = await trx
    .selectFrom('password_reset_tokens')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('user_id', '=', reset.user_id)
    .where('created_at', '>', cap.since)
    .executeTakeFirstOrThrow()
  if (Number(row.count) >= cap.count) return false
  await trx.insertInto('password_reset_tokens').values(reset).execute()
  return true
}

/** The live reset a token names, with what a new password is checked against. */
export function findPasswordReset(db: Executor, tokenHash: string, now: Date) {
  return db
    .selectFrom('password_reset_tokens')
    .innerJoin('users', 'users.id', 'password_reset_tokens.user_id')
    .select(['users.id as user_id', 'users.username', 'users.email', 'users.is_active'])
    .where('password_reset_tokens.token_hash', '=', tokenHash)
    .where('password_reset_tokens.expires_at', '>', now)
    .executeTakeFirst()
}

/**
 * Uses up a reset token: deletes it if it is still live and returns its user.
 * A second use, or a concurrent one, finds nothing.
 */
export async function consumePasswordReset(trx: Trx, tokenHash: string, now: Date): Promise<number | undefined> {
  const row = await trx
    .deleteFrom('password_reset_tokens')
    .where('token_hash', '=', tokenHash)
    .where('expires_at', '>', now)
    .returning('user_id')
    .executeTakeFirst()
  return row?.user_id
}

/** A new password voids every reset link still out for the account. */
export async function deletePasswordResets(trx: Trx, userId: number): Promise<void> {
  await trx.deleteFrom('password_reset_tokens').where('user_id', '=', userId).execute()
}

export async function deleteExpiredPasswordResets(db: Executor, now: Date): Promise<number> {
  const result = await db.deleteFrom('password_reset_tokens').where('expires_at', '<=', now).executeTakeFirst()
  return Number(result.numDeletedRows)
}
