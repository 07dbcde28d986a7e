import { countLiveSessions, deleteUser as deleteUserRow, lockOtherActiveStaff, lockUser, searchUsers, setUserActive } from '../db/admin-users.js'
import { findUserIdByLoginName } from '../db/login-names.js'
import type { UserRow } from '../db/schema.js'
import { isUsersSession } from '../db/sessions.js'
import type { Trx } from '../db/transaction.js'
import { findUserById } from '../db/users.js'
import { problem } from '../errors.js'
import type { ClientInfo, ServiceDeps } from './deps.js'
import { sendResetLink } from './password-reset.js'
import { endSessions, type RevokeDeps } from './revoke.js'
import type { Actor } from './security-events.js'
import type { UserCache } from './user-cache.js'
import { toUser, type User } from './views.js'

/** What user administration needs; the CLI provides it without an app (no denylist of its own, no cache). */
export type AdminDeps = RevokeDeps & { users: Pick<UserCache, 'set'> }

/** A user as the admin API shows it: the user, whether they may sign in, and how many sessions they have. */
export interface AdminUser {
  user: User
  is_active: boolean
  live_sessions: number
}

export interface UserPage {
  users: AdminUser[]
  /** Pass it as `cursor` for the next page; null on the last one. */
  next_cursor: string | null
}

/** Who acts, and from where, for the audit log. */
export interface Acting {
  actor: Actor
  client?: ClientInfo
}

const noSuchUser = () => problem('not_found', { detail: 'No such user.' })

export async function listUsers(
  deps: Pick<AdminDeps, 'db' | 'clock'>,
  { query, cursor, limit }: { query?: string; cursor?: string; limit: number },
): Promise<UserPage> {
  const rows = await searchUsers(deps.db, { ...(query !== undefined ? { query } : {}), afterId: cursor === undefined ? 0 : Number(cursor), limit: limit + 1 })
  const page = rows.slice(0, limit)
  return {
    users: await adminViews(deps, page),
    next_cursor: rows.length > limit ? String(page.at(-1)!.id) : null,
  }
}

export async function getUser(deps: Pick<AdminDeps, 'db' | 'clock'>, id: number): Promise<AdminUser> {
  const row = await findUserById(deps.db, id)
  if (!row) throw noSuchUser()
  return (await adminViews(deps, [row]))[0]!
}

/** The user an argument names: an id, or a login name (username or email). */
export async function findUserByIdOrName(deps: Pick<AdminDeps, 'db'>, idOrName: string): Promise<UserRow | undefined> {
  if (/^[1-9][0-9]{0,15}$/.test(idOrName)) {
    const byId = await findUserById(deps.db, Number(idOrName))
    if (byId) return byId
  }
  const id = await findUserIdByLoginName(deps.db, idOrName)
  return id === undefined ? undefined : findUserById(deps.db, id)
}

/**
 * Deactivates a user: in the same transaction every session ends, so their
 * access tokens are refused at once here, within a sync by the other
 * instances and by every verifier following the feed; refresh fails, and a
 * login answers as to a wrong password. Doing it again changes nothing.
 */
export async function deactivateUser(deps: AdminDeps, acting: Acting, id: number): Promise<AdminUser> {
  assertNotSelf(acting, id, 'deactivate')
  await endSessions(deps, { userId: id }, 'user_deactivated', async (trx) => {
    await lockRemovable(trx, id)
    await setUserActive(trx, id, false)
  })
  deps.users.set(id, null)
  deps.emit({ type: 'user_deactivated', userId: id, ...acting })
  return getUser(deps, id)
}

export async function activateUser(deps: AdminDeps, acting: Acting, id: number): Promise<AdminUser> {
  const row = await setUserActive(deps.db, id, true)
  if (!row) throw noSuchUser()
  deps.users.set(id, toUser(row))
  deps.emit({ type: 'user_activated', userId: id, ...acting })
  return getUser(deps, id)
}

/**
 * Deletes a user: the same revocation as a deactivation, then, in the same
 * transaction, the row and everything that hangs off it. The audit log keeps
 * their events by id, with no name.
 */
export async function deleteUser(deps: AdminDeps, acting: Acting, id: number): Promise<void> {
  assertNotSelf(acting, id, 'delete')
  await endSessions(
    deps,
    { userId: id },
    'user_deleted',
    (trx) => lockRemovable(trx, id).then(() => undefined),
    (trx) => deleteUserRow(trx, id),
  )
  deps.users.set(id, null)
  deps.emit({ type: 'user_deleted', userId: id, ...acting })
}

/** Ends every session of the user, or one of them. */
export async function endUserSessions(deps: AdminDeps, acting: Acting, id: number, sessionId?: string): Promise<void> {
  if (!(await findUserById(deps.db, id))) throw noSuchUser()
  if (sessionId !== undefined && !(await isUsersSession(deps.db, id, sessionId))) {
    throw problem('not_found', { detail: 'No such session of this user.' })
  }
  await endSessions(deps, { userId: id, ...(sessionId !== undefined ? { only: sessionId } : {}) }, 'ended_by_admin')
  deps.emit({ type: 'sessions_ended', userId: id, ...(sessionId !== undefined ? { sessionId } : {}), ...acting })
}

/** Mails the user a password reset link, as if they had asked (PASSWORD_RESET_MAX_PER_HOUR applies). */
export async function sendPasswordReset(deps: ServiceDeps, acting: Acting, id: number): Promise<void> {
  const user = await findUserById(deps.db, id)
  if (!user) throw noSuchUser()
  if (!user.is_active) throw problem('user_inactive', { detail: 'Activate the user first.' })
  if (user.email === null) throw problem('user_has_no_email')
  const sent = await sendResetLink(deps, { ...user, email: user.email }, acting)
  if (!sent) throw problem('rate_limited', { detail: 'Enough reset links were sent to this user in the last hour.', headers: { 'retry-after': '3600' } })
}

function assertNotSelf(acting: Acting, id: number, what: string): void {
  if (acting.actor === `user:${id}`) throw problem('forbidden', { detail: `A staff user cannot ${what} their own account.` })
}

/** Locks the user; refuses when they are the last active staff user (who alone could undo this through the API). */
async function lockRemovable(trx: Trx, id: number): Promise<UserRow> {
  const user = await lockUser(trx, id)
  if (!user) throw noSuchUser()
  if (user.is_staff && user.is_active && (await lockOtherActiveStaff(trx, id)) === 0) throw problem('last_staff_user')
  return user
}

async function adminViews(deps: Pick<AdminDeps, 'db' | 'clock'>, rows: UserRow[]): Promise<AdminUser[]> {
  const live = await countLiveSessions(deps.db, rows.map((row) => row.id), new Date(deps.clock.now()))
  return rows.map((row) => ({ user: toUser(row), is_active: row.is_active, live_sessions: live.get(row.id) ?? 0 }))
}
