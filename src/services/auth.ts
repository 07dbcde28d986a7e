import { inTransaction } from '../db/transaction.js'
import { findUserByLoginName, updateActiveUser, upgradePasswordHash } from '../db/users.js'
import { problem, ProblemError } from '../errors.js'
import type { ClientInfo, ServiceDeps } from './deps.js'
import { createAccount } from './create-user.js'
import type { LoginFailure } from './security-events.js'
import { checkPassword } from './password-check.js'
import { endSessions } from './revoke.js'
import { startSession } from './session-tokens.js'
import { toUser, type TokenResponse, type User } from './views.js'

export interface RegisterInput {
  username: string
  password: string
  email?: string | null
  first_name?: string
  last_name?: string
}

export interface LoginInput {
  username: string
  password: string
}

export interface SignedIn {
  user: User
  tokens: TokenResponse
}

export type LogoutScope = 'session' | 'others' | 'all'

export async function register(deps: ServiceDeps, input: RegisterInput, client: ClientInfo): Promise<SignedIn> {
  const accountDeps = { db: deps.db, passwords: deps.passwords, policy: deps.config.passwordPolicy, now: new Date(deps.clock.now()) }
  const signedIn = await createAccount(accountDeps, input, { signedIn: true }, async (trx, user) => {
    const { sessionId, tokens } = await startSession(trx, deps, user, client)
    return { sessionId, user: toUser(user), tokens }
  })
  deps.emit({ type: 'registered', userId: signedIn.user.id, sessionId: signedIn.sessionId, client })
  return { user: signedIn.user, tokens: signedIn.tokens }
}

export async function login(deps: ServiceDeps, input: LoginInput, client: ClientInfo): Promise<SignedIn> {
  const { passwords } = deps
  const found = await findUserByLoginName(deps.db, input.username)
  // An inactive account is checked as a missing one: unknown user, wrong
  // password and inactive account do the same work and give the same answer.
  const user = found?.is_active ? found : undefined
  const failed = (reason: LoginFailure) => deps.emit({ type: 'login_failed', reason, userId: found?.id ?? null, client })
  const verified = await checkPassword(deps, { name: input.username, user, password: input.password }).catch((error: unknown) => {
    if (error instanceof ProblemError && error.code === 'rate_limited') failed('slowed')
    throw error
  })
  if (!user || !verified) {
    failed(!found ? 'unknown_name' : !found.is_active ? 'inactive' : 'bad_password')
    throw problem('invalid_credentials')
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
