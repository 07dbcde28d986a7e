import type { Config } from '../config.js'
import type { EmailClaim } from '../db/login-names.js'
import type { LoginLookup } from '../db/users.js'

/**
 * What LOGIN_FIELDS and EMAIL_VERIFICATION mean for login names, in one place.
 * With verification on, an address is a login name and a reset target only
 * once verified, so no one can squat an address they cannot read: an
 * unverified address blocks nobody. The one exception is LOGIN_FIELDS=email,
 * where the address is an account's only name: there an unverified address is
 * held (kind `unverified_email`) by the newest registration of it, until any
 * holder verifies it; then it is theirs alone.
 */
export interface AccountRules {
  /** Registration takes a username (LOGIN_FIELDS has `username`). */
  usernames: boolean
  /** LOGIN_FIELDS=email: no usernames; the email is the login name. */
  emailOnly: boolean
  /** EMAIL_VERIFICATION is optional or mandatory: links are mailed, and addresses count once verified. */
  verifies: boolean
  /** EMAIL_VERIFICATION=mandatory: an unverified account cannot sign in or refresh. */
  mandatory: boolean
  /** The names a login may go by. */
  login: LoginLookup
  /** The names a password reset may go to (always an email). */
  reset: LoginLookup
}

export function accountRules(config: Config): AccountRules {
  const { loginFields, emailVerification } = config.accounts
  const emailOnly = loginFields === 'email'
  const verifies = emailVerification !== 'none'
  const login: LoginLookup =
    loginFields === 'username'
      ? { kinds: ['username'], verifiedEmails: false }
      : emailOnly
        ? { kinds: ['email', 'unverified_email'], verifiedEmails: false }
        : { kinds: ['username', 'email'], verifiedEmails: verifies }
  return {
    usernames: !emailOnly,
    emailOnly,
    verifies,
    mandatory: emailVerification === 'mandatory',
    login,
    reset: { kinds: ['email'], verifiedEmails: verifies },
  }
}

/** How a new account's (unverified) email is held: see EmailClaim. */
export function emailClaimOf(rules: AccountRules): EmailClaim {
  return !rules.verifies ? 'email' : rules.emailOnly ? 'unverified_email' : 'none'
}

/** The login name of a login request: `username`, or `email` (the spec requires one of them). */
export function loginNameIn(input: { username?: unknown; email?: unknown }): string {
  return String(input.username ?? input.email ?? '')
}
