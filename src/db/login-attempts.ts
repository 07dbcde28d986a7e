import { sql } from 'kysely'
import type { Executor } from './transaction.js'

/** How failures slow a login name down (LOGIN_SLOWDOWN_*). */
export interface SlowdownRule {
  /** Failures in a row after which each attempt is delayed. */
  after: number
  /** The longest delay, and the longest an attempt may queue. */
  maxMs: number
  /** A name's failures are forgotten this long after the last one. */
  resetMs: number
}

/** An attempt's place in its name's queue: go at `at`, or (refused) try again at `at`. */
export interface Turn {
  claimed: boolean
  at: Date
}

const ms = (value: number) => sql`(${value}::double precision * interval '1 millisecond')`

/** The last failure a name's count still remembers must be after this. */
function forgottenBefore(now: Date, rule: SlowdownRule) {
  return sql`(${now}::timestamptz - ${ms(rule.resetMs)})`
}

/** The delay after `failures` failures: 1 s, 2 s, 4 s... from `after` on, at most `maxMs`. */
function delay(rule: SlowdownRule) {
  return sql`(least(1000 * power(2, least(failures - ${rule.after}, 40)), ${rule.maxMs}::double precision) * interval '1 millisecond')`
}

/**
 * Claims the next attempt slot of a slowed name, atomically: the slot is the
 * later of now and the end of the last slot handed out, plus this attempt's
 * delay, and becomes the new end. Concurrent attempts therefore queue, each
 * behind the one before, instead of all waiting the same delay and all being
 * checked. A slot further than `maxMs` away is refused (and nothing claimed):
 * `at` is then when one will be free. Undefined when the name is not slowed
 * (no row, fewer than `after` failures, or failures forgotten): go at once.
 * The sub-select locks the row, so it reads the latest committed slot, and it
 * hands the decision to RETURNING (which sees only the new row).
 */
export async function claimTurn(db: Executor, name: string, now: Date, rule: SlowdownRule): Promise<Turn | undefined> {
  const result = await sql<{ claimed: boolean; slot: Date }>`
    update login_attempts as a
    set next_attempt_at = case when turn.claimed then turn.slot else a.next_attempt_at end
    from (
      select name,
        greatest(${now}::timestamptz, next_attempt_at) + ${delay(rule)} as slot,
        greatest(${now}::timestamptz, next_attempt_at) + ${delay(rule)} <= ${now}::timestamptz + ${ms(rule.maxMs)} as claimed
      from login_attempts
      where name = ${name} and failures >= ${rule.after} and last_failed_at > ${forgottenBefore(now, rule)}
      for update
    ) as turn
    where a.name = turn.name
    returning turn.claimed, turn.slot`.execute(db)
  const row = result.rows[0]
  if (!row) return undefined
  const slot = new Date(row.slot)
  return row.claimed ? { claimed: true, at: slot } : { claimed: false, at: new Date(slot.getTime() - rule.maxMs) }
}

/** One more failure for the name; after a quiet LOGIN_SLOWDOWN_RESET the count starts again from one. */
export async function recordFailure(db: Executor, name: string, now: Date, rule: SlowdownRule): Promise<void> {
  await sql`
    insert into login_attempts as a (name, failures, last_failed_at, next_attempt_at)
    values (${name}, 1, ${now}, ${now})
    on conflict (name) do update set
      failures = case when a.last_failed_at > ${forgottenBefore(now, rule)} then a.failures + 1 else 1 end,
      last_failed_at = greatest(a.last_failed_at, excluded.last_failed_at)`.execute(db)
}

/** A right password: the name starts afresh. */
export async function forgetFailures(db: Executor, name: string): Promise<void> {
  await db.deleteFrom('login_attempts').where('name', '=', name).execute()
}

/** Rows whose failures are forgotten and whose last slot has passed: they slow nothing down. */
export async function deleteStaleLoginAttempts(db: Executor, now: Date, resetMs: number): Promise<number> {
  const result = await db
    .deleteFrom('login_attempts')
    .where('last_failed_at', '<=', new Date(now.getTime() - resetMs))
    .where('next_attempt_at', '<=', now)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}
