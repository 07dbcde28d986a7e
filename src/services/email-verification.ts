import {
  consumeVerification,
  deleteVerifications,
  findAccountsAwaiting,
  insertVerificationWithinCap,
} from '../db/email-verifications.js'
import { replaceEmailLoginName } from '../db/login-names.js'
import { deletePasswordResets } from '../db/password-resets.js'
import { userColumns } from '../db/schema.js'
import { inTransaction } from '../db/transaction.js'
import { updateActiveUser } from '../db/users.js'
import { problem } from '../errors.js'
import { generateOpaqueToken, hashOpaqueToken } from '../tokens/opaque-token.js'
import type { ServiceDeps } from './deps.js'
import { normalizeEmail } from './normalize.js'
import { toUser, type User } from './views.js'

/** At most this many accounts waiting on one address get a link from one resend. */
const MAX_ACCOUNTS_PER_RESEND = 5

/**
 * After the commit that gave an account an address to verify (registration,
 * an email change), or on a resend: a one-time link to `address`, in the
 * background. Nothing when EMAIL_VERIFICATION=none.
 */
export function sendVerificationLink(deps: ServiceDeps, userId: number, address: string): void {
  if (deps.config.accounts.emailVerification === 'none') return
  deps.background.run('email verification mail', () => mailVerificationLink(deps, userId, address))
}

async function mailVerificationLink(deps: ServiceDeps, userId: number, address: string): Promise<void> {
  const now = deps.clock.now()
  const { verifyTtlMs, verifyMaxPerHour, verifyUrlTemplate } = deps.config.accounts
  const token = generateOpaqueToken()
  const row = { token_hash: hashOpaqueToken(token), user_id: userId, email: address, created_at: new Date(now), expires_at: new Date(now + verifyTtlMs) }
  // A cap per account keeps anyone from flooding an inbox through resends.
  const cap = { since: new Date(now - 3_600_000), count: verifyMaxPerHour }
  if (!(await inTransaction(deps.db, (trx) => insertVerificationWithinCap(trx, row, cap)))) return
  const link = verifyUrlTemplate.replace('{token}', encodeURIComponent(token))
  const hours = Math.round(verifyTtlMs / 3_600_000)
  await deps.mailer.send({
    to: address,
    subject: 'Confirm your email address',
    text: [
      'Someone gave this address to an account, and it is waiting to be confirmed.',
      '',
      `To confirm that it is yours, open this link within ${hours >= 1 ? `${hours} hours` : `${Math.round(verifyTtlMs / 60_000)} minutes`}:`,
      link,
      '',
      'If you did not ask for this, ignore this message: the address stays unconfirmed.',
    ].join('\n'),
  })
}

/**
 * A resend asks for a new link to an address. Answered alike, at once,
 * whatever the address is (unknown, verified, unverified, pending): the look-up
 * and any mail happen after the response, in the background.
 */
export function resendVerification(deps: ServiceDeps, email: string): void {
  if (deps.config.accounts.emailVerification === 'none') return
  deps.background.run('email verification resend', async () => {
    const address = normalizeEmail(email)
    if (address === null) return
    for (const userId of await findAccountsAwaiting(deps.db, address, MAX_ACCOUNTS_PER_RESEND)) {
      await mailVerificationLink(deps, userId, address)
    }
  })
}

/**
 * Follows a link: the token works once. Its address becomes the account's
 * verified email, and so a login name and reset target: the account's own
 * unverified email, or its pending_email, which then replaces the email (the
 * login name moves, reset links sent to the old address are voided). Another
 * account that verified the address first keeps it: `email_taken` (409).
 */
export async function verifyEmail(deps: ServiceDeps, token: string): Promise<User> {
  const now = new Date(deps.clock.now())
  const tokenHash = hashOpaqueToken(token)
  const user = await inTransaction(deps.db, async (trx) => {
    const used = await consumeVerification(trx, tokenHash, now)
    if (!used) throw problem('verification_token_invalid')
    const row = await trx.selectFrom('users').select(userColumns).where('id', '=', used.user_id).forUpdate().executeTakeFirst()
    if (!row?.is_active) throw problem('verification_token_invalid')
    const swap = row.pending_email === used.email && row.email !== used.email
    // The address moved on since the link was sent (changed again, or removed).
    if (!swap && row.email !== used.email) throw problem('verification_token_invalid')
    if (!(await replaceEmailLoginName(trx, row, used.email))) {
      throw problem('email_taken', { detail: 'Another account verified this address first.' })
    }
    const updated = await updateActiveUser(trx, row.id, { email: used.email, email_verified: true, pending_email: swap ? null : row.pending_email })
    if (!updated) throw problem('verification_token_invalid')
    await deleteVerifications(trx, row.id, used.email)
    if (swap) await deletePasswordResets(trx, row.id)
    return updated
  })
  const view = toUser(user)
  deps.users.set(user.id, view)
  return view
}
