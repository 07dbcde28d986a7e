import t from 'tap'
import { createDb } from '../src/db/create-db.js'
import { keyturn, migratedEnv, withCliDatabase, type Env } from './cli-support.js'
import { build, login, me, PASSWORD, type TestApp } from './helper.js'

/** Waits until the running instance refuses the token (its denylist heard of the CLI's revocation), or 10 s. */
async function untilRefused(app: TestApp, access: string): Promise<void> {
  const until = Date.now() + 10_000
  while ((await me(app, access)).statusCode !== 401 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 25))
}

const createUser = (env: Env, flags: string[]) => keyturn(['create-user', ...flags, '--password-stdin'], env, `${PASSWORD}\n`)

t.test('users list, deactivate, activate, delete and sessions end, as subprocesses', async (t) => {
  const env = await migratedEnv(t)
  t.equal((await createUser(env, ['--username', 'ada', '--email', 'ada@example.com', '--staff'])).code, 0)
  t.equal((await createUser(env, ['--username', 'bob', '--email', 'bob@example.com'])).code, 0)
  t.equal((await createUser(env, ['--username', 'carol'])).code, 0)

  const list = await keyturn(['users', 'list'], env)
  t.equal(list.code, 0, list.stderr)
  t.match(list.stdout, /^id +username +email +staff +active +sessions\n1 +ada +ada@example\.com +yes +yes +0\n2 +bob +bob@example\.com +no +yes +0\n3 +carol +– +no +yes +0\n$/)
  const found = await keyturn(['users', 'list', '--query', 'BOB@'], env)
  t.match(found.stdout, /\n2 +bob/)
  t.notMatch(found.stdout, /ada|carol/)

  // A running instance (Postgres only: the embedded database is one process's) hears of the CLI's revocations.
  const running = env.DATABASE_URL ? await createDb({ url: env.DATABASE_URL }) : undefined
  t.teardown(() => running?.destroy())
  const app = running ? await build(t, { db: running }) : undefined
  const bob = app ? (await login(app, 'bob')).json().tokens.access_token : undefined

  const deactivated = await keyturn(['users', 'deactivate', 'bob'], env)
  t.equal(deactivated.code, 0, deactivated.stderr)
  t.equal(deactivated.stdout, 'Deactivated bob (id 2); every session has ended\n')
  if (app) {
    await untilRefused(app, bob)
    t.equal((await me(app, bob)).json().code, 'token_revoked', 'the running instance refuses the token')
    t.equal((await login(app, 'bob')).json().code, 'invalid_credentials')
  }
  t.equal((await keyturn(['users', 'activate', '2'], env)).stdout, 'Activated bob (id 2)\n', 'by id')
  const again = app ? (await login(app, 'bob')).json().tokens.access_token : undefined
  const ended = await keyturn(['sessions', 'end', 'bob@example.com'], env)
  t.equal(ended.code, 0, ended.stderr)
  t.equal(ended.stdout, 'Ended every session of bob (id 2)\n')
  if (app) {
    await untilRefused(app, again)
    t.equal((await me(app, again)).statusCode, 401)
    await app.app.close()
  }
  t.equal((await keyturn(['users', 'delete', 'bob'], env)).stdout, 'Deleted bob (id 2)\n')

  const lastStaff = await keyturn(['users', 'delete', 'ada'], env)
  t.equal(lastStaff.code, 1)
  t.match(lastStaff.stderr, 'The last active staff user cannot be deactivated or deleted.')
  const unknown = await keyturn(['users', 'deactivate', 'nobody'], env)
  t.equal(unknown.code, 1)
  t.match(unknown.stderr, 'no user "nobody"')
  const missing = await keyturn(['users', 'deactivate'], env)
  t.equal(missing.code, 2)
  t.match(missing.stderr, 'name the user')
  const help = await keyturn(['users', 'deactivate', '--help'], env)
  t.equal(help.code, 0)
  t.match(help.stdout, 'Usage: keyturn users deactivate USER')
  const group = await keyturn(['users', '--help'], env)
  t.equal(group.code, 0)
  t.match(group.stdout, /keyturn users list .*\n.*keyturn users deactivate/)

  await withCliDatabase(env, async (db) => {
    t.same(await db.selectFrom('users').select('username').orderBy('id').execute(), [{ username: 'ada' }, { username: 'carol' }])
    const events = await db.selectFrom('audit_events').select(['type', 'user_id', 'actor']).where('actor', '=', 'cli').orderBy('occurred_at').execute()
    t.same(
      events.map((event) => [event.type, event.user_id]),
      [['user_deactivated', 2], ['user_activated', 2], ['sessions_ended', 2], ['user_deleted', 2]],
      'each CLI action in the audit log, as actor cli',
    )
  })
})
