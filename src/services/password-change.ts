import { loginNameOf } from '../db/login-names.js'
import { deletePasswordResets } from '../db/password-resets.js'
import { findUserById, setPasswordHash } from '../db/users.js'
import { fieldProblem, problem } from '../errors.js'
import type { AccessClaims } from '../tokens/access-token.js'
import type { ClientInfo, ServiceDeps } from './deps.js'
import { checkPassword } from './password-check.js'
import { assertAcceptablePassword } from './password-policy.js'
import { endSessions } from './revoke.js'

export interface PasswordChange {
  old_password: string
  new_password: string
}

/**
 * Sets a new password for the caller, who proves the old one, and ends every
 * other session: whoever else held the account loses it, this device stays
 * signed in. Reset links still out are voided.
 */
export async function changePassword(deps: ServiceDeps, auth: AccessClaims, change: PasswordChange, client?: ClientInfo): Promise<void> {
  const user = await findUserById(deps.db, Number(auth.sub))
  if (!user?.is_active) throw problem('token_invalid', { detail: 'The account no longer exists or is inactive.' })
  const incorrect = () => fieldProblem('old_password', 'incorrect_password', 'is not the current password')
  if (!(await checkPassword(deps, { name: loginNameOf(user), user, password: change.old_password }))) throw incorrect()
  assertAcceptablePassword(deps.config.passwordPolicy, change.new_password, user, 'new_password')
  const passwordHash = await deps.passwords.hash(change.new_password)
  await endSessions(deps, { userId: user.id, except: auth.sid }, 'password_changed', async (trx) => {
    // Only over the hash just verified: a change or reset that committed
    // meanwhile made old_password stale, and this change must not undo it.
    if (!(await setPasswordHash(trx, user.id, passwordHash, user.password))) throw incorrect()
    await deletePasswordResets(trx, user.id)
  })
  deps.emit({ type: 'password_changed', userId: user.id, sessionId: auth.sid, ...(client ? { client } : {}) })
}
