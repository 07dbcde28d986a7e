import type { EmailVerificationTokensTable } from './schema.js'
import type { Executor, Trx } from './transaction.js'

/**
 * Stores a verification token unless the address is no longer one the user
 * waits to verify (their unverified email, or their pending_email: a change
 * may have committed since the request), or they already got `cap.count`
 * since `cap.since`. Locks the user's row first, so concurrent requests for
 * one account count one after another.
 */
export async function insertVerificationWithinCap(
  trx: Trx,
  token: EmailVerificationTokensTable,
  cap: { since: Date; count: number },
): Promise<boolean> {
  const user = await trx
    .selectFrom('users')
    .select(['email', 'email_verified', 'pending_email', 'is_active'])
    .where('id', '=', token.user_id)
    .forUpdate()
    .executeTakeFirst()
  if (!user?.is_active) return false
  const awaited = (user.email === token.email && !user.email_verified) || user.pending_email === token.email
  if (!awaited) return false
  const row = await trx
    .selectFrom('email_verification_tokens')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('user_id', '=', token.user_id)
    .where('created_at', '>', cap.since)
    .executeTakeFirstOrThrow()
  if (Number(row.count) >= cap.count) return false
  await trx.insertInto('email_verification_tokens').values(token).execute()
  return true
}

/** Uses up a live token: deletes it and returns whom and which address it was for. A second use finds nothing. */
export function consumeVerification(trx: Trx, tokenHash: string, now: Date): Promise<{ user_id: number; email: string } | undefined> {
  return trx
    .deleteFrom('email_verification_tokens')
    .where('token_hash', '=', tokenHash)
    .where('expires_at', '>', now)
    .returning(['user_id', 'email'])
    .executeTakeFirst()
}

/** The links still out for an address of the user (all of them without `email`) stop working. */
export async function deleteVerifications(trx: Trx, userId: number, email?: string): Promise<void> {
  let query = trx.deleteFrom('email_verification_tokens').where('user_id', '=', userId)
  if (email !== undefined) query = query.where('email', '=', email)
  await query.execute()
}

/** Active accounts waiting to verify this (normalized) address: as their email, or as a pending change. */
export async function findAccountsAwaiting(db: Executor, email: string, limit: number): Promise<number[]> {
  const rows = await db
    .selectFrom('users')
    .select('id')
    .where('is_active', '=', true)
    .where((eb) => eb.or([eb.and([eb('email', '=', email), eb('email_verified', '=', false)]), eb('pending_email', '=', email)]))
    .orderBy('id', 'desc')
    .limit(limit)
    .execute()
  return rows.map((row) => row.id)
}

export async function deleteExpiredVerifications(db: Executor, now: Date): Promise<number> {
  const result = await db.deleteFrom('email_verification_tokens').where('expires_at', '<=', now).executeTakeFirst()
  return Number(result.numDeletedRows)
}
