import { replaceEmailLoginName } from '../db/login-names.js'
import { deletePasswordResets } from '../db/password-resets.js'
import type { UserRow } from '../db/schema.js'
import type { Trx } from '../db/transaction.js'
import { updateActiveUser } from '../db/users.js'
import { problem } from '../errors.js'
import type { ServiceDeps } from './deps.js'

/** What an email change did, for what follows its commit. */
export interface EmailChanged {
  username: string | null
  /** The address it replaced, which is told; null when there was none. */
  previous: string | null
}

/**
 * The step that makes an accepted email change (the current password proven,
 * the user row locked) take effect, inside the update's transaction. Today
 * the new address applies at once: it becomes the account's email login
 * name, and every password reset link still out, mailed to the old address,
 * is voided. With email verification this is the one place that changes: it
 * records the address as pending instead, and this work moves to where its
 * link is followed. Throws email_taken when another account has the name.
 */
export async function applyEmailChange(trx: Trx, user: UserRow, email: string | null): Promise<{ user: UserRow; changed: EmailChanged }> {
  const updated = await updateActiveUser(trx, user.id, { email })
  if (!updated) throw problem('token_invalid', { detail: 'The account no longer exists or is inactive.' })
  if (!(await replaceEmailLoginName(trx, updated, email))) throw problem('email_taken')
  await deletePasswordResets(trx, user.id)
  return { user: updated, changed: { username: user.username, previous: user.email } }
}

/**
 * After the commit: the old address learns that the account's email changed,
 * so an owner whose session was used to move it knows. It does not learn the
 * new address. Sent in the background, like every mail.
 */
export function noticeEmailChanged(deps: ServiceDeps, changed: EmailChanged): void {
  const to = changed.previous
  if (to === null) return
  deps.background.run('email change notice', () =>
    deps.mailer.send({
      to,
      subject: 'The email address of your account was changed',
      text: [
        `The email address of ${changed.username === null ? 'your account' : `the account "${changed.username}"`} was changed on ${new Date(deps.clock.now()).toUTCString()}.`,
        'Password reset links go to the new address from now on; links sent to this one no longer work.',
        '',
        'If you did this, there is nothing more to do.',
        'If you did not, someone who knows your password has signed in as you: sign in, change your password and set your address back.',
      ].join('\n'),
    }),
  )
}
