import { foldLoginName } from '../db/login-names.js'
import {
  consumePasswordReset,
  deletePasswordResets,
  findPasswordReset,
  insertPasswordResetWithinCap,
} from '../db/password-resets.js'
import { inTransaction } from '../db/transaction.js'
import { findUserByLoginName, setPasswordHash } from '../db/users.js'
import { problem } from '../errors.js'
import { generateOpaqueToken, hashOpaqueToken } from '../tokens/opaque-token.js'
import type { UserRow } from '../db/schema.js'
import { accountRules } from './account-rules.js'
import type { ClientInfo, ServiceDeps } from './deps.js'
import type { Actor } from './security-events.js'
import { assertAcceptablePassword } from './password-policy.js'
import { endSessions } from './revoke.js'

/**
 * Asks for a reset link. The answer is the same, in the same time, whether or
 * not the address has an account: the work (finding the account, storing a
 * token, sending the mail) happens after the response, in the background.
 */
export function requestPasswordReset(deps: ServiceDeps, email: string, client?: ClientInfo): void {
  deps.background.run('password reset mail', () => mailResetLink(deps, email, client))
}

async function mailResetLink(deps: ServiceDeps, email: string, client: ClientInfo | undefined): Promise<void> {
  // With verification on, only to a verified address (account-rules.ts).
  const user = await findUserByLoginName(deps.db, email, accountRules(deps.config).reset)
  // Only to the account whose email this is, never to a username that looks like one.
  if (!user?.is_active || !user.email || foldLoginName(user.email) !== foldLoginName(email)) return
  await sendResetLink(deps, { ...user, email: user.email }, { ...(client ? { client } : {}) })
}

/**
 * Stores a reset token for an active user with an email and mails its link;
 * false (nothing sent) past PASSWORD_RESET_MAX_PER_HOUR. The admin API sends
 * one this way too, as `actor`.
 */
export async function sendResetLink(
  deps: ServiceDeps,
  user: UserRow & { email: string },
  { client, actor }: { client?: ClientInfo; actor?: Actor },
): Promise<boolean> {
  const mailedTo = user.email
  const now = deps.clock.now()
  const { ttlMs, maxPerHour, urlTemplate } = deps.config.passwordReset
  const token = generateOpaqueToken()
  const reset = { token_hash: hashOpaqueToken(token), user_id: user.id, created_at: new Date(now), expires_at: new Date(now + ttlMs) }
  // A cap per account keeps anyone from flooding an inbox; past it, requests are answered alike and send nothing.
  const cap = { since: new Date(now - 3_600_000), count: maxPerHour }
  if (!(await inTransaction(deps.db, (trx) => insertPasswordResetWithinCap(trx, reset, cap, mailedTo)))) return false
  deps.emit({ type: 'password_reset_requested', userId: user.id, ...(client ? { client } : {}), ...(actor ? { actor } : {}) })
  const link = urlTemplate.replace('{token}', encodeURIComponent(token))
  const minutes = Math.round(ttlMs / 60_000)
  await deps.mailer.send({
    to: mailedTo,
    subject: 'Reset your password',
    text: [
      `Someone asked to reset the password of ${user.username === null ? 'your account' : `the account "${user.username}"`}.`,
      '',
      `To choose a new password, open this link within ${minutes} minutes:`,
      link,
      '',
      'If you did not ask for this, ignore this message: your password stays as it is.',
    ].join('\n'),
  })
  return true
}

export interface ResetConfirmation {
  token: string
  new_password: string
}

/** Sets the password a reset link was mailed for; the link works once, and every session ends. */
export async function confirmPasswordReset(deps: ServiceDeps, confirmation: ResetConfirmation, client?: ClientInfo): Promise<void> {
  const tokenHash = hashOpaqueToken(confirmation.token)
  const now = new Date(deps.clock.now())
  const reset = await findPasswordReset(deps.db, tokenHash, now)
  if (!reset?.is_active) throw problem('reset_token_invalid')
  assertAcceptablePassword(deps.config.passwordPolicy, confirmation.new_password, reset, 'new_password')
  const passwordHash = await deps.passwords.hash(confirmation.new_password)
  await endSessions(deps, { userId: reset.user_id }, 'password_reset', async (trx) => {
    // Consumed here, atomically: of two concurrent uses, one finds nothing.
    if ((await consumePasswordReset(trx, tokenHash, now)) === undefined) throw problem('reset_token_invalid')
    await setPasswordHash(trx, reset.user_id, passwordHash)
    await deletePasswordResets(trx, reset.user_id)
  })
  deps.emit({ type: 'password_reset_completed', userId: reset.user_id, ...(client ? { client } : {}) })
}
