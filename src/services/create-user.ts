import { fullFormats } from 'ajv-formats/dist/formats.js'
import type { PasswordHasher } from '../crypto/passwords.js'
import type { Db } from '../db/create-db.js'
import { claimLoginNames } from '../db/login-names.js'
import type { UserRow } from '../db/schema.js'
import { inTransaction, type Trx } from '../db/transaction.js'
import { insertUser } from '../db/users.js'
import { fieldProblem, problem } from '../errors.js'
import { normalizeEmail, normalizeUsername } from './normalize.js'
import { assertAcceptablePassword, type PasswordPolicy } from './password-policy.js'
import { toUser, type User } from './views.js'

export interface CreateUserInput {
  username: string
  password: string
  email?: string | null
  first_name?: string
  last_name?: string
  is_staff?: boolean
}

export interface CreateUserDeps {
  db: Db
  passwords: PasswordHasher
  policy: PasswordPolicy
  now?: Date
}

// The rules of openapi.yaml's Username, Email and PersonName schemas, which
// the API enforces through its validator: a user made outside the API (the CLI,
// an import) must be one the API could have made.
const USERNAME = /^[\p{L}\p{M}\p{N}_.@+-]+$/u
const EMAIL = fullFormats.email as RegExp
const CONTROL = /\p{Cc}/u

/** Why a (normalized) username breaks the API's rules, or undefined when it is fine. */
export function usernameProblem(username: string): string | undefined {
  const length = [...username].length
  if (length < 1) return 'must not be empty'
  if (length > 150) return 'must be at most 150 characters'
  if (!USERNAME.test(username)) return 'may contain only letters, digits and @ . + - _'
  return undefined
}

/** Why an email address breaks the API's rules, or undefined when it is fine (an empty one is none). */
export function emailProblem(email: string | null | undefined): string | undefined {
  const trimmed = email?.trim() ?? ''
  if (trimmed !== '' && (trimmed.length > 254 || !EMAIL.test(trimmed))) return 'must be an email address'
  return undefined
}

function assertValidInput(input: CreateUserInput, username: string): void {
  const usernameText = usernameProblem(username)
  if (usernameText) throw fieldProblem('username', 'invalid_format', usernameText)
  const emailText = emailProblem(input.email)
  if (emailText) throw fieldProblem('email', 'invalid_format', emailText)
  for (const field of ['first_name', 'last_name'] as const) {
    const value = input[field] ?? ''
    if ([...value].length > 150) throw fieldProblem(field, 'too_long', 'must be at most 150 characters')
    if (CONTROL.test(value)) throw fieldProblem(field, 'invalid_format', 'must not contain control characters')
  }
}

/**
 * The account part of every way in (registration, `keyturn create-user`): the
 * same checks and hashing, then the user and its login names in one
 * transaction, in which `andThen` runs too (registration starts a session there).
 */
export async function createAccount<T>(
  deps: CreateUserDeps,
  input: CreateUserInput,
  options: { signedIn: boolean },
  andThen: (trx: Trx, user: UserRow) => Promise<T>,
): Promise<T> {
  const username = normalizeUsername(input.username)
  assertValidInput(input, username)
  const email = normalizeEmail(input.email)
  assertAcceptablePassword(deps.policy, input.password, { username, email }, 'password')
  const passwordHash = await deps.passwords.hash(input.password)
  const now = deps.now ?? new Date()
  return inTransaction(deps.db, async (trx) => {
    const user = await insertUser(trx, {
      username,
      email,
      password: passwordHash,
      first_name: input.first_name ?? '',
      last_name: input.last_name ?? '',
      is_staff: input.is_staff ?? false,
      created_at: now,
      last_login_at: options.signedIn ? now : null,
    })
    const taken = await claimLoginNames(trx, user.id, { username, email })
    if (taken) throw problem(taken === 'username' ? 'username_taken' : 'email_taken')
    return andThen(trx, user)
  })
}

/** An account made without signing in: `keyturn create-user`, Django's createsuperuser. */
export function createUser(deps: CreateUserDeps, input: CreateUserInput): Promise<User> {
  return createAccount(deps, input, { signedIn: false }, async (_trx, user) => toUser(user))
}
