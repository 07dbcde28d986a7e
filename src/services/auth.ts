import { inTransaction } from '../db/transaction.js'
import { findUserByLoginName, updateActiveUser, upgradePasswordHash } from '../db/users.js'
import { fieldProblem, problem, ProblemError } from '../errors.js'
import { accountRules, emailClaimOf, loginNameIn } from './account-rules.js'
import { sendVerificationLink } from './email-verification.js'
import type { ClientInfo, ServiceDeps } from './deps.js'
import { createAccount } from './create-user.js'
import type { LoginFailure } from './security-events.js'
import { checkPassword } from './password-check.js'
import { acceptProfile, type Profile } from './profile.js'
import { endSessions } from './revoke.js'
import { startSession } from './session-tokens.js'
import { toUser, type TokenResponse, type User } from './views.js'

export interface RegisterInput {
  /** Required unless LOGIN_FIELDS=email, which takes none (the served spec says which). */
  username?: string
  password: string
  email?: string | null
  first_name?: string
  last_name?: string
  profile?: Profile
}

export interface LoginInput {
  /** The login name: a username or an email, as LOGIN_FIELDS allows. */
  username?: string
  /** The same, under the name an email-only client sends (djangorestframework-simplejwt with USERNAME_FIELD = 'email'). */
  email?: string
  password: string
}

export interface SignedIn {
  user: User
  tokens: TokenResponse
}

/** EMAIL_VERIFICATION=mandatory: a new account signs in once its address is verified. */
export interface AwaitingVerification {
  user: User
}

export type LogoutScope = 'session' | 'others' | 'all'

/**
 * Makes an account and, unless its address must be verified first
 * (EMAIL_VERIFICATION=mandatory), its first session. With verification on,
 * the address is mailed a link once the account is committed.
 */
export async function register(deps: ServiceDeps, input: RegisterInput, client: ClientInfo): Promise<SignedIn | AwaitingVerification> {
  const rules = accountRules(deps.config)
  if (rules.usernames && input.username === undefined) throw fieldProblem('username', 'required', 'is required')
  if ((rules.emailOnly || rules.mandatory) && !input.email) throw fieldProblem('email', 'required', 'is required')
  const accountDeps = { db: deps.db, passwords: deps.passwords, policy: deps.config.passwordPolicy, now: new Date(deps.clock.now()) }
  // Checked as a whole (the schema's required fields too) before any hashing.
  const profile = acceptProfile(deps.config.profile, input.profile ?? {})
  const account = { ...input, username: rules.usernames ? input.username : null, profile }
  const signedIn = !rules.mandatory
  const result = await createAccount(accountDeps, account, { signedIn, emailClaim: emailClaimOf(rules) }, async (trx, user) => {
    const session = signedIn ? await startSession(trx, deps, user, client) : undefined
    return { row: user, tokens: session?.tokens, sessionId: session?.sessionId ?? null }
  })
  deps.emit({ type: 'registered', userId: result.row.id, sessionId: result.sessionId, client })
  if (result.row.email !== null) sendVerificationLink(deps, result.row.id, result.row.email)
  const user = toUser(result.row)
  return result.tokens ? { user, tokens: result.tokens } : { user }
}

export async function login(deps: ServiceDeps, input: LoginInput, client: ClientInfo): Promise<SignedIn> {
  const { passwords } = deps
  const rules = accountRules(deps.config)
  const name = loginNameIn(input)
  const found = await findUserByLoginName(deps.db, name, rules.login)
  // An inactive account is checked as a missing one: unknown user, wrong
  // password and inactive account do the same work and give the same answer.
  const user = found?.is_active ? found : undefined
  const failed = (reason: LoginFailure) => deps.emit({ type: 'login_failed', reason, userId: found?.id ?? null, client })
  const verified = await checkPassword(deps, { name, user, password: input.password }).catch((error: unknown) => {
    if (error instanceof ProblemError && error.code === 'rate_limited') failed('slowed')
    throw error
  })
  if (!user || !verified) {
    failed(!found ? 'unknown_name' : !found.is_active ? 'inactive' : 'bad_password')
    throw problem('invalid_credentials')
  }
  // Only now, with the password right: the answer tells nothing to whoever does not know it.
  if (rules.mandatory && !user.email_verified) {
    failed('email_not_verified')
    throw problem('email_not_verified', { detail: 'Follow the link mailed to the account\'s address, or ask for a new one, then sign in.' })
  }

  const upgradedHash = passwords.needsRehash(user.password) ? await passwords.hash(input.password) : undefined
  const signedIn = await inTransaction(deps.db, async (trx) => {
    const now = new Date(deps.clock.now())
    if (upgradedHash) await upgradePasswordHash(trx, user.id, user.password, upgradedHash)
    const updated = await updateActiveUser(trx, user.id, { last_login_at: now })
    // Deactivated (or deleted) since the password check: the answer is the one it now gets.
    if (!updated) throw problem('invalid_credentials')
    const { sessionId, tokens } = await startSession(trx, deps, updated, client)
    return { sessionId, user: toUser(updated), tokens }
  }).catch((error: unknown) => {
    if (error instanceof ProblemError && error.code === 'invalid_credentials') failed('inactive')
    throw error
  })
  deps.users.set(signedIn.user.id, signedIn.user)
  deps.emit({ type: 'login_succeeded', userId: user.id, sessionId: signedIn.sessionId, client })
  return { user: signedIn.user, tokens: signedIn.tokens }
}

/** Ends the caller's session, the others, or all of them. */
export async function logout(
  deps: ServiceDeps,
  { userId, sessionId }: { userId: number; sessionId: string },
  scope: LogoutScope,
  client?: ClientInfo,
): Promise<void> {
  const selector =
    scope === 'session' ? { userId, only: sessionId } : scope === 'others' ? { userId, except: sessionId } : { userId }
  await endSessions(deps, selector, 'logout')
  deps.emit({ type: 'logged_out', reason: scope, userId, sessionId, ...(client ? { client } : {}) })
}
