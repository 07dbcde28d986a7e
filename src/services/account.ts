import { replaceEmailLoginName } from '../db/login-names.js'
import { inTransaction } from '../db/transaction.js'
import { findUserById, updateActiveUser } from '../db/users.js'
import { problem } from '../errors.js'
import type { AccessClaims } from '../tokens/access-token.js'
import type { ServiceDeps } from './deps.js'
import { normalizeEmail } from './normalize.js'
import { toUser, type User } from './views.js'

export interface ProfileChanges {
  email?: string | null
  first_name?: string
  last_name?: string
}

const accountGone = () => problem('token_invalid', { detail: 'The account no longer exists or is inactive.' })

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

export async function updateMe(deps: ServiceDeps, auth: AccessClaims, changes: ProfileChanges): Promise<User> {
  if (Object.keys(changes).length === 0) return getMe(deps, auth)
  const { email: newEmail, ...names } = changes
  const user = await inTransaction(deps.db, async (trx) => {
    const email = 'email' in changes ? { email: normalizeEmail(newEmail) } : {}
    const updated = await updateActiveUser(trx, Number(auth.sub), { ...names, ...email })
    if (!updated) throw accountGone()
    if ('email' in email && !(await replaceEmailLoginName(trx, updated, updated.email))) throw problem('email_taken')
    return updated
  })
  const view = toUser(user)
  deps.users.set(user.id, view)
  return view
}
