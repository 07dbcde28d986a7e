import { setTimeout as sleep } from 'node:timers/promises'
import type { UserRow } from '../db/schema.js'
import { recordFailedLogin } from '../db/users.js'
import type { ServiceDeps } from './deps.js'

/**
 * Checks a user's password the way every entry point must (login, password
 * change): after LOGIN_SLOWDOWN_AFTER failures in a row, each attempt waits
 * 1 s, 2 s, 4 s... up to LOGIN_SLOWDOWN_MAX first, right or wrong, and a wrong
 * one adds to the count. Guessing gets slow; unlike a lockout, the owner still
 * gets in. A successful login resets the count.
 */
export async function checkPassword(deps: ServiceDeps, user: UserRow, password: string): Promise<boolean> {
  await sleep(slowdownFor(deps, user.failed_logins))
  const verified = await deps.passwords.verify(user.password, password)
  if (!verified) await recordFailedLogin(deps.db, user.id)
  return verified
}

function slowdownFor(deps: ServiceDeps, failedLogins: number): number {
  const { after, maxMs } = deps.config.loginSlowdown
  if (failedLogins < after || maxMs === 0) return 0
  return Math.min(1000 * 2 ** (failedLogins - after), maxMs)
}
