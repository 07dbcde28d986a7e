import { randomUUID } from 'node:crypto'
import t from 'tap'
import { cliDatabaseEnv, keyturn, withCliDatabase } from './cli-support.js'

const migrations = [
  '2026_11_22_090000_create_users',
  '2026_11_22_090100_create_sessions',
  '2026_11_22_090200_create_revocations',
  '2026_11_22_150000_create_password_reset_tokens',
  '2026_12_01_100000_create_login_attempts',
  '2026_12_01_110000_create_signing_keys',
  '2026_12_02_110000_add_account_fields',
  '2026_12_02_120000_optional_username',
  '2026_12_02_120100_create_email_verification_tokens',
  '2026_12_02_130000_create_audit_events',
]

t.test('keyturn migrate: status, up, down, up again', async (t) => {
  const env = await cliDatabaseEnv(t)
  const before = await keyturn(['migrate', 'status'], env)
  t.equal(before.code, 0, before.stderr)
  for (const name of migrations) t.match(before.stdout, `pending  ${name}`)

  const up = await keyturn(['migrate'], env)
  t.equal(up.code, 0, up.stderr)
  for (const name of migrations) t.match(up.stdout, `applied  ${name}`)
  t.match((await keyturn(['migrate', 'up'], env)).stdout, 'Already up to date.')

  const down = await keyturn(['migrate', 'down', '--yes'], env)
  t.equal(down.code, 0)
  t.match(down.stdout, `reverted  ${migrations.at(-1)}`)
  t.match((await keyturn(['migrate', 'status'], env)).stdout, `pending  ${migrations.at(-1)}`)
  t.equal((await keyturn(['migrate'], env)).code, 0, 'and forward again')
})

t.test('keyturn prune deletes what has expired and prints the counts', async (t) => {
  const env = await cliDatabaseEnv(t)
  await keyturn(['migrate'], env)
  const empty = await keyturn(['prune'], env)
  t.equal(empty.code, 0, empty.stderr)
  t.equal(
    empty.stdout,
    'revocations: 0 deleted\nrefresh_tokens: 0 deleted\nsessions: 0 deleted\npassword_reset_tokens: 0 deleted\nemail_verification_tokens: 0 deleted\nlogin_attempts: 0 deleted\naudit_events: 0 deleted\n',
  )

  const past = new Date(Date.now() - 24 * 3600_000)
  const future = new Date(Date.now() + 3600_000)
  const over = randomUUID()
  const live = randomUUID()
  await withCliDatabase(env, async (db) => {
    const user = await db
      .insertInto('users')
      .values({ username: 'pruned', email: null, password: '!', created_at: past, last_login_at: null })
      .returning('id')
      .executeTakeFirstOrThrow()
    const session = { user_id: user.id, created_at: past, last_used_at: past, user_agent: null, ip: null, revoked_at: null, revoked_reason: null }
    await db
      .insertInto('sessions')
      .values([
        { ...session, id: over, expires_at: past, access_expires_at: past },
        { ...session, id: live, expires_at: future, access_expires_at: future },
      ])
      .execute()
    await db
      .insertInto('refresh_tokens')
      .values([
        { token_hash: 'a'.repeat(64), session_id: live, created_at: past, expires_at: past, retired_at: null, successor_sealed: null },
        { token_hash: 'b'.repeat(64), session_id: live, created_at: past, expires_at: future, retired_at: null, successor_sealed: null },
      ])
      .execute()
    await db
      .insertInto('revocations')
      .values([
        { session_id: over, expires_at: past, created_at: past },
        { session_id: live, expires_at: future, created_at: past },
      ])
      .execute()
    await db
      .insertInto('password_reset_tokens')
      .values([
        { token_hash: 'c'.repeat(64), user_id: user.id, created_at: past, expires_at: past },
        { token_hash: 'd'.repeat(64), user_id: user.id, created_at: past, expires_at: future },
      ])
      .execute()
    // AUDIT_RETENTION is 90 days: an event of 91 days ago goes, one of a day ago stays.
    const event = (id: string, occurred_at: Date) => ({ id, occurred_at, type: 'login_failed', user_id: user.id, session_id: null, ip: null, user_agent: null, reason: 'bad_password', actor: null })
    await db
      .insertInto('audit_events')
      .values([event(randomUUID(), new Date(Date.now() - 91 * 24 * 3600_000)), event(live, past)])
      .execute()
    // Failures of a day ago are forgotten (LOGIN_SLOWDOWN_RESET, 15m); a minute ago they still count.
    await db
      .insertInto('login_attempts')
      .values([
        { name: 'forgotten', failures: 9, last_failed_at: past, next_attempt_at: past },
        { name: 'remembered', failures: 9, last_failed_at: new Date(Date.now() - 60_000), next_attempt_at: past },
      ])
      .execute()
  })

  const res = await keyturn(['prune'], env)
  t.equal(res.code, 0, res.stderr)
  t.equal(
    res.stdout,
    'revocations: 1 deleted\nrefresh_tokens: 1 deleted\nsessions: 1 deleted\npassword_reset_tokens: 1 deleted\nemail_verification_tokens: 0 deleted\nlogin_attempts: 1 deleted\naudit_events: 1 deleted\n',
  )
  const left = await withCliDatabase(env, async (db) => ({
    sessions: (await db.selectFrom('sessions').select('id').execute()).map((row) => row.id),
    refresh: (await db.selectFrom('refresh_tokens').select('token_hash').execute()).length,
    revocations: (await db.selectFrom('revocations').select('session_id').execute()).map((row) => row.session_id),
    resets: (await db.selectFrom('password_reset_tokens').select('token_hash').execute()).length,
    attempts: (await db.selectFrom('login_attempts').select('name').execute()).map((row) => row.name),
    audit: (await db.selectFrom('audit_events').select('id').execute()).map((row) => row.id),
  }))
  t.same(left, { sessions: [live], refresh: 1, revocations: [live], resets: 1, attempts: ['remembered'], audit: [live] }, 'what is still live stays')
})

t.test('help, and clear refusals of bad input', async (t) => {
  const overview = await keyturn(['--help'], {})
  t.equal(overview.code, 0)
  t.match(overview.stdout, /migrate .*\n.*prune/)
  const help = await keyturn(['migrate', '--help'], {})
  t.equal(help.code, 0)
  t.match(help.stdout, 'Usage: keyturn migrate [up | down [--yes] | status]')

  const unknown = await keyturn(['frobnicate'], {})
  t.equal(unknown.code, 2)
  t.match(unknown.stderr, 'unknown command "frobnicate"')
  const badAction = await keyturn(['migrate', 'sideways'], {})
  t.equal(badAction.code, 2)
  t.match(badAction.stderr, 'unknown migrate action: sideways')
  const badFlag = await keyturn(['prune', '--force'], {})
  t.equal(badFlag.code, 2)
  t.match(badFlag.stderr, /--force/)
  const badConfig = await keyturn(['migrate', 'status'], { DATABASE_URL: 'mysql://nope' })
  t.equal(badConfig.code, 1)
  t.match(badConfig.stderr, 'DATABASE_URL must be a postgres:// or postgresql:// URL')
  const unreachable = await keyturn(['migrate', 'status'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' })
  t.equal(unreachable.code, 1)
  t.match(unreachable.stderr, /keyturn migrate: .*ECONNREFUSED|connect/)
})
