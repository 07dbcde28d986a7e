import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import type { Config } from '../config.js'
import { fieldProblem } from '../errors.js'

/** PASSWORD_MIN_LENGTH, PASSWORD_REJECT_COMMON, ...: see config/sections/passwords.ts. */
export type PasswordPolicy = Config['passwordPolicy']

const commonLists = new Map<string, Set<string>>()

/** The list, read once. Compared lowercased, as Django's CommonPasswordValidator does. */
function commonPasswords(file: string): Set<string> {
  let list = commonLists.get(file)
  if (!list) {
    const raw = readFileSync(file)
    const text = (file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8')
    list = new Set(text.split(/\r?\n/).map((line) => line.trim().toLowerCase()).filter(Boolean))
    commonLists.set(file, list)
  }
  return list
}

/**
 * Refuses a new password that breaks a rule, with a 400 naming the field and
 * the rule (password_too_short, password_too_long, password_too_common,
 * password_too_similar, password_entirely_numeric). Applies to new passwords only, never to logins.
 */
export function assertAcceptablePassword(
  policy: PasswordPolicy,
  password: string,
  owner: { username: string | null; email: string | null },
  field: string,
): void {
  const length = [...password].length
  if (length < policy.minLength) {
    throw fieldProblem(field, 'password_too_short', `must be at least ${policy.minLength} characters`)
  }
  if (length > policy.maxLength) {
    throw fieldProblem(field, 'password_too_long', `must be at most ${policy.maxLength} characters`)
  }
  const lowered = password.toLowerCase()
  if (policy.rejectSimilar) {
    const email = owner.email?.toLowerCase()
    const similar = [owner.username?.toLowerCase(), email, email?.split('@')[0]]
    if (similar.includes(lowered)) {
      throw fieldProblem(field, 'password_too_similar', 'must not be the username or the email address')
    }
  }
  // Any script's digits, as Python's str.isdigit() in Django's validator.
  if (policy.rejectNumeric && /^\p{Nd}+$/u.test(password)) {
    throw fieldProblem(field, 'password_entirely_numeric', 'must not be entirely numeric')
  }
  if (policy.rejectCommon && commonPasswords(policy.commonList).has(lowered.trim())) {
    throw fieldProblem(field, 'password_too_common', 'is one of the most common passwords')
  }
}
