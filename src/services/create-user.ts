import type { PasswordHasher } from '../crypto/passwords.js'
import type { Db } from '../db/create-db.js'
import { claimLoginNames, type EmailClaim } from '../db/login-names.js'
import type { UserRow } from '../db/schema.js'
import { inTransaction, type Trx } from '../db/transaction.js'
import { insertUser } from '../db/users.js'
import { fieldProblem, problem } from '../errors.js'
import { fieldRuleProblem, type FieldRule } from './field-rules.js'
import { normalizeEmail, normalizeUsername } from './normalize.js'
import { assertAcceptablePassword, type PasswordPolicy } from './password-policy.js'
import { toUser, type User } from './views.js'

export interface CreateUserInput {
  /** Null or absent only for an account that signs in with its email (LOGIN_FIELDS=email). */
  username?: string | null
  password: string
  email?: string | null
  first_name?: string
  last_name?: string
  is_staff?: boolean
  /** Already accepted (services/profile.ts) by the caller; none by default. */
  profile?: Record<string, unknown>
}

export interface CreateUserDeps {
  db: Db
  passwords: PasswordHasher
  policy: PasswordPolicy
  now?: Date
}

/** Why a (normalized) username breaks the API's rules (openapi.yaml's Username), or undefined when it is fine. */
export function usernameProblem(username: string): string | undefined {
  return fieldRuleProblem('Username', username)?.detail
}

/** Why an email address breaks the API's rules, or undefined when it is fine (an empty one is none). */
export function emailProblem(email: string | null | undefined): string | undefined {
  const trimmed = email?.trim() ?? ''
  return trimmed === '' ? undefined : fieldRuleProblem('Email', trimmed)?.detail
}

function assertValidInput(input: CreateUserInput, username: string | null): void {
  const checks: [field: string, rule: FieldRule, value: unknown][] = [
    ['username', 'Username', username ?? undefined],
    ['email', 'Email', input.email?.trim() || undefined],
    ['first_name', 'PersonName', input.first_name],
    ['last_name', 'PersonName', input.last_name],
  ]
  for (const [field, rule, value] of checks) {
    const problem = value === undefined ? undefined : fieldRuleProblem(rule, value)
    if (problem) throw fieldProblem(field, problem.code, problem.detail)
  }
}

export interface AccountOptions {
  signedIn: boolean
  /** How the (unverified) email is held as a login name; `email` (a login name at once) by default. */
  emailClaim?: EmailClaim
  /** The address counts as verified (an operator's `keyturn create-user` vouches for it). */
  emailVerified?: boolean
}

/**
 * The account part of every way in (registration, `keyturn create-user`): the
 * same checks and hashing, then the user and its login names in one
 * transaction, in which `andThen` runs too (registration starts a session there).
 */
export async function createAccount<T>(
  deps: CreateUserDeps,
  input: CreateUserInput,
  options: AccountOptions,
  andThen: (trx: Trx, user: UserRow) => Promise<T>,
): Promise<T> {
  const username = input.username == null ? null : normalizeUsername(input.username)
  assertValidInput(input, username)
  const email = normalizeEmail(input.email)
  if (username === null && email === null) throw fieldProblem('email', 'required', 'is required')
  assertAcceptablePassword(deps.policy, input.password, { username, email }, 'password')
  const passwordHash = await deps.passwords.hash(input.password)
  const now = deps.now ?? new Date()
  return inTransaction(deps.db, async (trx) => {
    const user = await insertUser(trx, {
      username,
      email,
      email_verified: email !== null && options.emailVerified === true,
      password: passwordHash,
      first_name: input.first_name ?? '',
      last_name: input.last_name ?? '',
      is_staff: input.is_staff ?? false,
      profile: input.profile ?? {},
      created_at: now,
      last_login_at: options.signedIn ? now : null,
    })
    const taken = await claimLoginNames(trx, user.id, { username, email }, options.emailClaim)
    if (taken) throw problem(taken === 'username' ? 'username_taken' : 'email_taken')
    return andThen(trx, user)
  })
}

/** An account made without signing in: `keyturn create-user`, Django's createsuperuser. */
export function createUser(deps: CreateUserDeps, input: CreateUserInput): Promise<User> {
  return createAccount(deps, input, { signedIn: false, emailVerified: true }, async (_trx, user) => toUser(user))
}
