// What an operator meets in the first hour: a database not migrated yet, a
// DATABASE_URL that points nowhere, `migrate down` typed by mistake, and the
// CLI in a production image. Each answer says what to do.
import { readdirSync } from 'node:fs'
import pg from 'pg'
import t from 'tap'
import { cliDatabaseEnv, hasTerminal, keyturn, onTerminal, type Env } from './cli-support.js'
import { serverUrl } from './helper.js'
import { request, startKeyturn, tempDir, waitExit, waitForLog, waitReady } from './processes.js'

// Each test has a database of its own and mostly waits on processes: run them side by side.
t.jobs = 3

// Some thirty processes: on a machine loaded with other work
// that outlasts .taprc's 600 s per file. Every wait here is on an event; this
// only keeps a hang from lasting forever.
t.setTimeout(30 * 60_000)

const NO_TABLES = 'the database has no keyturn tables: run `keyturn migrate` (`npm run migrate` in a checkout) or set MIGRATE_ON_START=true'
// The newest migration, whatever it is: the one `migrate down` undoes and a database one step behind lacks.
const LAST_MIGRATION = readdirSync(new URL('../migrations/', import.meta.url))
  .filter((name) => name.endsWith('.ts'))
  .sort()
  .at(-1)!
  .replace(/\.ts$/, '')
/** The table it creates: these tests expect the newest migration to be a create_<table> one. */
const LAST_TABLE = /_create_(\w+)$/.exec(LAST_MIGRATION)?.[1]

/** The environment for a server process on the CLI's database. */
const serverEnv = (env: Env) => Object.fromEntries(Object.entries({ ...env, LOG_LEVEL: 'info' }).filter(([, value]) => value !== undefined)) as Record<string, string>

t.test('an unmigrated database: the start and the CLI say what to run', async (t) => {
  const env = await cliDatabaseEnv(t)
  const prune = await keyturn(['prune'], env)
  t.equal(prune.code, 1)
  t.equal(prune.stderr, `keyturn prune: ${NO_TABLES}\n`, 'not `relation "revocations" does not exist`')

  const server = await startKeyturn(t, { ...serverEnv(env), MIGRATE_ON_START: 'false' })
  const exit = await waitExit(server)
  t.equal(exit.code, 1, 'the start stops by itself')
  t.match(server.stderr(), `keyturn could not start: ${NO_TABLES}`)
  t.notMatch(server.stderr(), /relation|does not exist/)

  t.equal((await keyturn(['migrate'], env)).code, 0)
  const down = await keyturn(['migrate', 'down', '--yes'], env)
  t.equal(down.code, 0, down.stderr)
  const behind = await keyturn(['prune'], env)
  t.match(behind.stderr, `the database is behind by 1 migration (${LAST_MIGRATION}): run \`keyturn migrate\``)
  const again = await startKeyturn(t, { ...serverEnv(env), MIGRATE_ON_START: 'false' })
  t.equal((await waitExit(again)).code, 1)
  t.match(again.stderr(), 'behind by 1 migration')
})

t.test('/readyz says what to run when the tables go while it serves', { skip: serverUrl ? false : 'needs a Postgres server (the embedded database is one process\'s)' }, async (t) => {
  const env = await cliDatabaseEnv(t)
  t.equal((await keyturn(['migrate'], env)).code, 0)
  const server = await startKeyturn(t, { ...serverEnv(env), MIGRATE_ON_START: 'false', DENYLIST_SYNC_INTERVAL: '100ms' })
  await waitReady(server, { probe: '/readyz' })

  // A restore, or someone's reset: the schema is gone under the running instance.
  const client = new pg.Client({ connectionString: env.DATABASE_URL })
  await client.connect()
  await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public')
  await client.end()

  let readiness = await request(server, 'GET', '/readyz')
  const deadline = Date.now() + 60_000 // the denylist turns stale after 5 s without a read; a loaded machine may take longer
  while (readiness.status === 200 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200))
    readiness = await request(server, 'GET', '/readyz')
  }
  t.equal(readiness.status, 503)
  t.equal(readiness.body?.code, 'unavailable')
  t.equal(readiness.body?.detail, NO_TABLES, 'the detail says what to run')
  // The log line may reach this process after the answer: wait for it.
  t.ok(await waitForLog(server, (line) => line.msg === `unavailable: ${NO_TABLES}`), 'and so does the log')
})

t.test('a DATABASE_URL that leads nowhere is named, without its password', async (t) => {
  const url = 'postgres://keyturn:s3cret-pw@127.0.0.1:1/keyturn_nowhere'
  const cli = await keyturn(['migrate', 'status'], { DATABASE_URL: url })
  t.equal(cli.code, 1)
  t.match(cli.stderr, 'cannot reach the database at DATABASE_URL (host 127.0.0.1, port 1, database keyturn_nowhere): ')
  t.match(cli.stderr, /ECONNREFUSED/, 'with the cause')
  const server = await startKeyturn(t, { DATABASE_URL: url, LOG_LEVEL: 'info' })
  t.equal((await waitExit(server)).code, 1)
  t.match(server.stderr(), 'keyturn could not start: cannot reach the database at DATABASE_URL (host 127.0.0.1, port 1, database keyturn_nowhere)')
  for (const output of [cli.stderr, cli.stdout, server.stderr(), server.stdout()]) t.notMatch(output, 's3cret-pw', 'never the password')

  if (serverUrl) {
    const missing = new URL(serverUrl)
    missing.pathname = '/keyturn_no_such_database'
    const absent = await keyturn(['migrate'], { DATABASE_URL: missing.toString() })
    t.equal(absent.code, 1)
    t.match(absent.stderr, `database keyturn_no_such_database): the database does not exist: create it, or fix the name`)
  }
})

t.test('migrate down refuses off a terminal without --yes, naming what it would drop', async (t) => {
  t.ok(LAST_TABLE, `${LAST_MIGRATION} creates a table (name a create_<table> migration last, or adapt this test)`)
  const env = await cliDatabaseEnv(t)
  t.equal((await keyturn(['migrate'], env)).code, 0)
  const refused = await keyturn(['migrate', 'down'], env)
  t.equal(refused.code, 1)
  t.match(refused.stderr, `would undo ${LAST_MIGRATION}, dropping the ${LAST_TABLE} table and every row in it`)
  t.match(refused.stderr, 'pass --yes')
  t.match((await keyturn(['migrate', 'status'], env)).stdout, `applied  ${LAST_MIGRATION}`, 'nothing was undone')
  const yes = await keyturn(['migrate', 'down', '--yes'], env)
  t.equal(yes.code, 0, yes.stderr)
  t.match(yes.stdout, `reverted  ${LAST_MIGRATION}`)
  t.equal((await keyturn(['migrate', 'up', '--yes'], env)).code, 2, '--yes belongs to down only')
})

t.test('migrate down on a terminal asks first', { skip: hasTerminal ? false : 'no script(1) for a pseudo-terminal' }, async (t) => {
  const env = await cliDatabaseEnv(t)
  t.equal((await keyturn(['migrate'], env)).code, 0)
  const declined = await onTerminal(['migrate', 'down'], env, [['Type "yes" to go on: ', 'no']])
  t.equal(declined.code, 1)
  t.match(declined.output, `This will undo ${LAST_MIGRATION}, dropping the ${LAST_TABLE} table and every row in it.`)
  t.match(declined.output, 'Nothing was undone.')
  t.match((await keyturn(['migrate', 'status'], env)).stdout, `applied  ${LAST_MIGRATION}`)
  const accepted = await onTerminal(['migrate', 'down'], env, [['Type "yes" to go on: ', 'yes']])
  t.equal(accepted.code, 0, accepted.output)
  t.match(accepted.output, `reverted  ${LAST_MIGRATION}`)
})

t.test('in production the CLI asks only for what a command needs', async (t) => {
  // What the Docker image gives a command: NODE_ENV=production, a database, nothing else.
  const { JWT_SECRET: _, ...base } = await cliDatabaseEnv(t)
  const env: Env = { ...base, NODE_ENV: 'production' }
  const migrated = await keyturn(['migrate'], env)
  t.equal(migrated.code, 0, `migrate: ${migrated.stderr}`)
  for (const [args, stdin] of [
    [['migrate', 'status'], ''],
    [['prune'], ''],
    [['import-django', '-'], '[]'],
    [['create-user', '--username', 'operator', '--password-stdin'], 'a long enough password for the operator\n'],
    [['keys', 'generate'], ''],
  ] as const) {
    const res = await keyturn([...args], env, stdin)
    t.equal(res.code, 0, `keyturn ${args.join(' ')}: ${res.stderr}`)
    t.notMatch(res.stderr, /JWT_SECRET|MAIL_TRANSPORT|PASSWORD_RESET_URL/, `keyturn ${args[0]} asks for no key or mail setting`)
  }
  // keys status reports on the signing keys: without any it says so (a command about keys needs them).
  const status = await keyturn(['keys', 'status'], env)
  t.equal(status.code, 1)
  t.match(status.stderr, 'no signing key is configured')
  // The service signs and mails: it still refuses the same environment, naming what is missing.
  const dataDir = await tempDir(t)
  const server = await startKeyturn(t, { ...serverEnv(env), DATA_DIR: env.DATA_DIR ?? dataDir })
  t.equal((await waitExit(server)).code, 1)
  for (const name of ['JWT_SECRET', 'MAIL_TRANSPORT', 'PASSWORD_RESET_URL']) t.match(server.stderr(), name)
})
