import { inTransaction } from '../db/transaction.js'
import { findUserByLoginName, updateActiveUser, upgradePasswordHash } from '../db/users.js'
import { problem } from '../errors.js'
import type { ClientInfo, ServiceDeps } from './deps.js'
import { createAccount } from './create-user.js'
import { checkPassword } from './password-check.js'
import { acceptProfile, type Profile } from './profile.js'
import { endSessions } from './revoke.js'
import { startSession } from './session-tokens.js'
import { toUser, type TokenResponse, type User } from './views.js'

export interface RegisterInput {
  username: string
  password: string
  email?: string | null
  first_name?: string
  last_name?: string
  profile?: Profile
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

export function register(deps: ServiceDeps, input: RegisterInput, client: ClientInfo): Promise<SignedIn> {
  const accountDeps = { db: deps.db, passwords: deps.passwords, policy: deps.config.passwordPolicy, now: new Date(deps.clock.now()) }
  // Checked as a whole (the schema's required fields too) before any hashing.
  const profile = acceptProfile(deps.config.profile, input.profile ?? {})
  return createAccount(accountDeps, { ...input, profile }, { signedIn: true }, async (trx, user) => ({
    user: toUser(user),
    tokens: await startSession(trx, deps, user, client),
  }))
}

export async function login(deps: ServiceDeps, input: LoginInput, client: ClientInfo): Promise<SignedIn> {
  const { passwords } = deps
  const found = await findUserByLoginName(deps.db, input.username)
  // An inactive account is checked as a missing one: unknown user, wrong
  // password and inactive account do the same work and give the same answer.
  const user = found?.is_active ? found : undefined
  const verified = await checkPassword(deps, { name: input.username, user, password: input.password })
  if (!user || !verified) throw problem('invalid_credentials')

  const upgradedHash = passwords.needsRehash(user.password) ? await passwords.hash(input.password) : undefined
  const signedIn = await inTransaction(deps.db, async (trx) => {
    const now = new Date(deps.clock.now())
    if (upgradedHash) await upgradePasswordHash(trx, user.id, user.password, upgradedHash)
    const updated = (await updateActiveUser(trx, user.id, { last_login_at: now })) ?? user
    return { user: toUser(updated), tokens: await startSession(trx, deps, updated, client) }
  })
  deps.users.set(signedIn.user.id, signedIn.user)
  return signedIn
}

/** Ends the caller's session, the others, or all of them. */
export async function logout(
  deps: ServiceDeps,
  { userId, sessionId }: { userId: number; sessionId: string },
  scope: LogoutScope,
): Promise<void> {
  const selector =
    scope === 'session' ? { userId, only: sessionId } : scope === 'others' ? { userId, except: sessionId } : { userId }
  await endSessions(deps, selector, 'logout')
}
