import { waitOn } from '../clock.js'
import { claimTurn, forgetFailures, recordFailure, type SlowdownRule } from '../db/login-attempts.js'
import { foldLoginName } from '../db/login-names.js'
import type { UserRow } from '../db/schema.js'
import { problem } from '../errors.js'
import type { ServiceDeps } from './deps.js'

export interface PasswordAttempt {
  /** The login name the attempt is made under: what the slowdown counts by. */
  name: string
  /** The account, if the name has one that may sign in; without one the check costs the same and fails. */
  user: UserRow | undefined
  password: string
}

/**
 * Checks a password the way every entry point must (login, password change,
 * email change), at the same cost whatever the outcome. After
 * LOGIN_SLOWDOWN_AFTER failures in a row under a login name, each attempt
 * under it first claims a slot 1 s, 2 s, 4 s... (at most LOGIN_SLOWDOWN_MAX)
 * after the one before and waits for it, right password or wrong: concurrent
 * guesses queue one behind another, and one that would queue longer than
 * LOGIN_SLOWDOWN_MAX is answered 429 with Retry-After, unchecked. The name
 * counts whether or not an account has it, so the wait tells nothing. Unlike
 * a lockout, the owner still gets in: a slot is never further than
 * LOGIN_SLOWDOWN_MAX away once one is free. A right password clears the
 * name; failures are forgotten LOGIN_SLOWDOWN_RESET after the last one.
 */
export async function checkPassword(deps: ServiceDeps, attempt: PasswordAttempt): Promise<boolean> {
  const name = foldLoginName(attempt.name)
  const rule: SlowdownRule = deps.config.loginSlowdown
  if (rule.maxMs > 0) {
    const now = deps.clock.now()
    const turn = await claimTurn(deps.db, name, new Date(now), rule)
    if (turn && !turn.claimed) {
      const seconds = Math.max(1, Math.ceil((turn.at.getTime() - now) / 1000))
      throw problem('rate_limited', {
        detail: 'Too many recent failed attempts for this login name; try again later.',
        headers: { 'retry-after': String(seconds) },
      })
    }
    if (turn) await waitOn(deps.clock, turn.at.getTime() - now)
  }
  const { user, password } = attempt
  const verified = user ? await deps.passwords.verify(user.password, password) : await deps.passwords.verifyDummy(password)
  if (verified) await forgetFailures(deps.db, name)
  else await recordFailure(deps.db, name, new Date(deps.clock.now()), rule)
  return verified
}
