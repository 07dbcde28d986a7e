import { loginNameOf } from '../db/login-names.js'
import { sessionStanding } from '../db/sessions.js'
import type { UserRow } from '../db/schema.js'
import { inTransaction, type Trx } from '../db/transaction.js'
import { findUserById, lockProfile, lockUserWithHash, updateActiveUser } from '../db/users.js'
import { fieldProblem, problem } from '../errors.js'
import type { AccessClaims } from '../tokens/access-token.js'
import type { ClientInfo, ServiceDeps } from './deps.js'
import { applyEmailChange, noticeEmailChanged, type EmailChanged } from './email-change.js'
import { normalizeEmail } from './normalize.js'
import { checkPassword } from './password-check.js'
import { acceptProfile, mergeProfile, type Profile } from './profile.js'
import { toUser, type User } from './views.js'

export interface ProfileChanges {
  email?: string | null
  first_name?: string
  last_name?: string
  /** A merge patch of the profile's fields (null removes one); the result is checked whole. */
  profile?: Profile
  /** The account's password: required (by the spec) with `email`, checked whenever given. */
  current_password?: string
}

const accountGone = () => problem('token_invalid', { detail: 'The account no longer exists or is inactive.' })
const incorrectPassword = () => fieldProblem('current_password', 'incorrect_password', 'is not the current password')

export async function getMe(deps: ServiceDeps, auth: AccessClaims): Promise<User> {
  const id = Number(auth.sub)
  let user = deps.users.get(id)
  if (user === undefined) {
    const row = await findUserById(deps.db, id)
    user = row?.is_active ? toUser(row) : null
    deps.users.set(id, user)
  }
  if (!user) throw accountGone()
  return user
}

/**
 * Changes the caller's names and, with the current password, their email.
 * The password is checked as a login checks it (slowdown included), then the
 * change commits only if that password is still the account's and the
 * session still live: a password change or reset that commits in between
 * wins, and this change does nothing.
 */
export async function updateMe(deps: ServiceDeps, auth: AccessClaims, changes: ProfileChanges, client?: ClientInfo): Promise<User> {
  const { current_password: password, email, profile: patch, ...names } = changes
  const changesEmail = 'email' in changes
  if (!changesEmail && password === undefined && patch === undefined && Object.keys(names).length === 0) return getMe(deps, auth)
  const proven = password === undefined ? undefined : await proveCurrentPassword(deps, auth, password)

  let changed: EmailChanged | undefined
  const user = await inTransaction(deps.db, async (trx) => {
    changed = undefined
    const locked = proven && (await lockProven(trx, deps, auth, proven))
    const profile = patch && (await patchedProfile(trx, deps, Number(auth.sub), patch))
    const updates = profile ? { ...names, profile } : names
    const named = Object.keys(updates).length > 0 ? await updateActiveUser(trx, Number(auth.sub), updates) : locked
    let row = named ?? (await findUserById(trx, Number(auth.sub)))
    if (!row?.is_active) throw accountGone()
    const newEmail = normalizeEmail(email)
    if (changesEmail && locked) ({ user: row, changed } = await applyEmailChange(trx, deps, row, newEmail))
    return row
  })
  if (changed) {
    noticeEmailChanged(deps, changed)
    deps.emit({ type: 'email_changed', userId: user.id, sessionId: auth.sid, ...(client ? { client } : {}) })
  }
  const view = toUser(user)
  deps.users.set(user.id, view)
  return view
}

/** The stored profile with the patch applied, if the result passes; read under the row lock, so two patches both count. */
async function patchedProfile(trx: Trx, deps: ServiceDeps, id: number, patch: Profile): Promise<Profile> {
  const stored = await lockProfile(trx, id)
  if (stored === undefined) throw accountGone()
  return acceptProfile(deps.config.profile, mergeProfile(stored, patch))
}

/** The caller's row if `password` is theirs; incorrect_password (counted as a failed login) otherwise. */
async function proveCurrentPassword(deps: ServiceDeps, auth: AccessClaims, password: string): Promise<UserRow> {
  const user = await findUserById(deps.db, Number(auth.sub))
  if (!user?.is_active) throw accountGone()
  if (!(await checkPassword(deps, { name: loginNameOf(user), user, password }))) throw incorrectPassword()
  return user
}

/** Locks the user row if the proven hash is still theirs; says why not otherwise (session ended, or password changed). */
async function lockProven(trx: Trx, deps: ServiceDeps, auth: AccessClaims, proven: UserRow): Promise<UserRow> {
  const locked = await lockUserWithHash(trx, proven.id, proven.password)
  if (locked) return locked
  const standing = await sessionStanding(trx, proven.id, auth.sid, new Date(deps.clock.now()))
  if (standing !== 'live') throw problem('token_revoked', { detail: 'The session has ended.' })
  if (!(await findUserById(trx, proven.id))?.is_active) throw accountGone()
  throw incorrectPassword()
}
