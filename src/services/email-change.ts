import { emailHeldByAnother, replaceEmailLoginName } from '../db/login-names.js'
import { deletePasswordResets } from '../db/password-resets.js'
import type { UserRow } from '../db/schema.js'
import type { Trx } from '../db/transaction.js'
import { updateActiveUser } from '../db/users.js'
import { problem } from '../errors.js'
import type { ServiceDeps } from './deps.js'
import { sendVerificationLink } from './email-verification.js'

/** What an email change did, for what follows its commit. */
export interface EmailChanged {
  userId: number
  username: string | null
  /** The address it replaced (or, when pending, will replace), which is told; null when there was none. */
  previous: string | null
  /** The new address waits for its link (EMAIL_VERIFICATION on): it is mailed one. */
  pending: string | null
}

const gone = () => problem('token_invalid', { detail: 'The account no longer exists or is inactive.' })

/**
 * The step that makes an accepted email change (the current password proven,
 * the user row locked) take effect, inside the update's transaction. Without
 * verification the new address applies at once: it becomes the account's
 * email login name, and every password reset link still out, mailed to the
 * old address, is voided. With verification on, a new address is recorded as
 * pending instead: the old one stays the login and reset name until the
 * link is followed (email-verification.ts does the rest then); removing the
 * address, or setting back the current one, applies at once. Throws
 * email_taken when another account has the name.
 */
export async function applyEmailChange(
  trx: Trx,
  deps: Pick<ServiceDeps, 'config'>,
  user: UserRow,
  email: string | null,
): Promise<{ user: UserRow; changed?: EmailChanged }> {
  if (email === user.email) {
    const updated = user.pending_email === null ? user : await updateActiveUser(trx, user.id, { pending_email: null })
    if (!updated) throw gone()
    return { user: updated }
  }
  const changed = { userId: user.id, username: user.username, previous: user.email }
  if (deps.config.accounts.emailVerification !== 'none' && email !== null) {
    if (await emailHeldByAnother(trx, user.id, email)) throw problem('email_taken')
    const updated = await updateActiveUser(trx, user.id, { pending_email: email })
    if (!updated) throw gone()
    return { user: updated, changed: { ...changed, pending: email } }
  }
  const updated = await updateActiveUser(trx, user.id, { email, email_verified: false, pending_email: null })
  if (!updated) throw gone()
  if (!(await replaceEmailLoginName(trx, updated, email))) throw problem('email_taken')
  await deletePasswordResets(trx, user.id)
  return { user: updated, changed: { ...changed, pending: null } }
}

/**
 * After the commit: the old address learns that the account's email changed
 * (or is about to), so an owner whose session was used to move it knows. It
 * does not learn the new address. A pending address gets its link. Sent in
 * the background, like every mail.
 */
export function noticeEmailChanged(deps: ServiceDeps, changed: EmailChanged): void {
  if (changed.pending !== null) sendVerificationLink(deps, changed.userId, changed.pending)
  const to = changed.previous
  if (to === null) return
  const account = changed.username === null ? 'your account' : `the account "${changed.username}"`
  const when = new Date(deps.clock.now()).toUTCString()
  const text =
    changed.pending === null
      ? [
          `The email address of ${account} was changed on ${when}.`,
          'Password reset links go to the new address from now on; links sent to this one no longer work.',
        ]
      : [
          `A new email address was given to ${account} on ${when}.`,
          'This address stays the one you sign in and reset your password with until the link mailed to the new one is followed.',
        ]
  deps.background.run('email change notice', () =>
    deps.mailer.send({
      to,
      subject: 'The email address of your account was changed',
      text: [
        ...text,
        '',
        'If you did this, there is nothing more to do.',
        'If you did not, someone who knows your password has signed in as you: sign in, change your password and set your address back.',
      ].join('\n'),
    }),
  )
}
