import { sql } from 'kysely'
import { foldLoginName } from './login-names.js'
import { userColumns, type UserRow } from './schema.js'
import type { Executor, Trx } from './transaction.js'

/** `%`, `_` and `\` mean themselves in a prefix search. */
function likePrefix(text: string): string {
  return `${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`
}

/**
 * Users in id order after `afterId` (a keyset: a page never repeats or skips a
 * user because others were added), those with a login name (username or
 * email, folded as logins are) starting with `query` if given.
 */
export function searchUsers(db: Executor, { query, afterId, limit }: { query?: string; afterId: number; limit: number }): Promise<UserRow[]> {
  let select = db.selectFrom('users').select(userColumns).where('id', '>', afterId)
  if (query !== undefined && query !== '') {
    const pattern = likePrefix(foldLoginName(query))
    select = select.where((eb) =>
      eb.exists(
        eb
          .selectFrom('login_names')
          .select('login_names.user_id')
          .whereRef('login_names.user_id', '=', 'users.id')
          .where(sql<boolean>`login_names.name like ${pattern} escape '\\'`),
      ),
    )
  }
  return select.orderBy('id').limit(limit).execute()
}

/** The user, locked until the transaction ends: deactivation, deletion and the last-staff rule line up on it. */
export function lockUser(trx: Trx, id: number): Promise<UserRow | undefined> {
  return trx.selectFrom('users').select(userColumns).where('id', '=', id).forUpdate().executeTakeFirst()
}

/**
 * Active staff users other than `id`, with their rows locked: two admins
 * removing the last two staff users at once line up here, and the second
 * sees the first's change.
 */
export async function lockOtherActiveStaff(trx: Trx, id: number): Promise<number> {
  const rows = await trx
    .selectFrom('users')
    .select('id')
    .where('is_staff', '=', true)
    .where('is_active', '=', true)
    .where('id', '!=', id)
    .forUpdate()
    .execute()
  return rows.length
}

export async function setUserActive(db: Executor, id: number, active: boolean): Promise<UserRow | undefined> {
  return db.updateTable('users').set({ is_active: active }).where('id', '=', id).returning(userColumns).executeTakeFirst()
}

/**
 * Deletes the user; sessions, refresh and reset tokens and login names go
 * with it (foreign keys). The failed-login counts kept under its login names
 * go first, while the names still say which they are.
 */
export async function deleteUser(trx: Trx, id: number): Promise<void> {
  await trx
    .deleteFrom('login_attempts')
    .where('name', 'in', (eb) => eb.selectFrom('login_names').select('name').where('user_id', '=', id))
    .execute()
  await trx.deleteFrom('users').where('id', '=', id).execute()
}

/** How many sessions of each user can still be used (not ended, not past their end). */
export async function countLiveSessions(db: Executor, userIds: number[], now: Date): Promise<Map<number, number>> {
  if (userIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('sessions')
    .select(['user_id', (eb) => eb.fn.countAll<number>().as('count')])
    .where('user_id', 'in', userIds)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .groupBy('user_id')
    .execute()
  return new Map(rows.map((row) => [row.user_id, Number(row.count)]))
}
