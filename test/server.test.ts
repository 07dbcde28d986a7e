// The real process: `node --import tsx src/server.ts`, driven over HTTP and signals.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import t, { type Test } from 'tap'
import { onServer, serverUrl, sleep } from './helper.js'
import {
  connect,
  logLines,
  request,
  startKeyturn as start,
  stop,
  tempDir,
  waitExit,
  waitForLog,
  waitReady as ready,
  type Answer,
  type Child as Server,
  type LogLine,
} from './processes.js'
/** The file's root test, for what outlives one subtest. */
const file = t
const JWT_SECRET = `server-test-${randomBytes(24).toString('hex')}`
/** Unique per run, so finding it in a log means it was logged. */
const PASSWORD = `pw-${randomBytes(12).toString('hex')}`

/** Cheap argon2 and readable logs; every test adds its DATA_DIR and what it checks. */
const baseEnv: Record<string, string> = {
  JWT_SECRET,
  ARGON2_MEMORY_COST: '256',
  ARGON2_TIME_COST: '1',
  LOG_LEVEL: 'info',
}

/**
 * A fresh embedded database costs several seconds (initdb, then migrations).
 * The first-start test hands over its DATA_DIR once its server has stopped
 * cleanly; the other tests copy it instead of paying that again. If that test
 * did not run (a --grep filter) or failed to stop, a template is made here.
 */
let firstStartDataDir: Promise<string | undefined> | undefined
let ownTemplate: Promise<string> | undefined

function makeTemplate(): Promise<string> {
  ownTemplate ??= (async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'keyturn-server-template-'))
    file.teardown(() => rm(dir, { recursive: true, force: true }))
    const server = await start(file, { ...baseEnv, DATA_DIR: dir })
    await ready(server)
    server.child.kill('SIGTERM')
    const exit = await waitExit(server)
    if (exit.code !== 0) throw new Error(`the template server exited with ${exit.code ?? exit.signal}:\n${server.stdout()}${server.stderr()}`)
    return dir
  })()
  return ownTemplate
}

/** A temporary DATA_DIR holding an already migrated embedded database. */
async function migratedDataDir(t: Test): Promise<string> {
  const dir = await tempDir(t)
  const template = (await firstStartDataDir) ?? (await makeTemplate())
  await cp(path.join(template, 'pglite'), path.join(dir, 'pglite'), { recursive: true })
  return dir
}

const uniqueName = () => `user_${randomBytes(5).toString('hex')}`

interface Account {
  username: string
  id: number
  access: string
  refresh: string
}

async function register(t: Test, server: Server, username = uniqueName(), password = PASSWORD): Promise<Account> {
  const res = await request(server, 'POST', '/v1/auth/register', { username, password, email: `${username}@example.com` })
  t.equal(res.status, 201, `register ${username}`)
  return { username, id: res.body?.user?.id, access: res.body?.tokens?.access_token, refresh: res.body?.tokens?.refresh_token }
}

/** register, then GET /v1/auth/me with the new access token. */
async function registerAndMe(t: Test, server: Server): Promise<Account> {
  const account = await register(t, server)
  const me = await request(server, 'GET', '/v1/auth/me', undefined, { authorization: `Bearer ${account.access}` })
  t.equal(me.status, 200, 'GET /v1/auth/me with the new access token')
  t.equal(me.body?.username, account.username)
  t.equal(me.body?.id, account.id)
  return account
}

// The processes spend most of their time waiting: run the tests side by side.
t.jobs = 3

t.test('starts on the embedded database, migrates, and serves over HTTP', async (t) => {
  let handOver!: (dir: string | undefined) => void
  firstStartDataDir = new Promise((resolve) => (handOver = resolve))
  try {
    await firstStart(t, handOver)
  } finally {
    handOver(undefined)
  }
})

async function firstStart(t: Test, handOver: (dir: string) => void): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'keyturn-server-test-'))
  file.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const server = await start(t, { ...baseEnv, DATA_DIR: dataDir })
  await ready(server)

  const health = await request(server, 'GET', '/healthz')
  t.equal(health.status, 200)
  const readiness = await request(server, 'GET', '/readyz')
  t.equal(readiness.status, 200, 'the database is reachable')

  const lines = logLines(server)
  t.ok(
    lines.some((line) => line.msg === 'using the embedded database' && line.dataDir === dataDir),
    'says it uses the embedded database in DATA_DIR',
  )
  const migrated = lines.find((line) => line.msg === 'migrated')
  t.ok(Array.isArray(migrated?.migrations) && (migrated.migrations as unknown[]).length > 0, 'migrated on start')
  t.ok(existsSync(path.join(dataDir, 'pglite')), 'the database files live under DATA_DIR')
  t.equal(await readFile(path.join(dataDir, 'keyturn.lock'), 'utf8'), String(server.child.pid), 'DATA_DIR is locked by this process')

  await registerAndMe(t, server)

  server.child.kill('SIGTERM')
  const exit = await waitExit(server)
  t.same(exit, { code: 0, signal: null }, 'SIGTERM with nothing in flight: exits 0')
  t.notOk(existsSync(path.join(dataDir, 'keyturn.lock')), 'and releases DATA_DIR')
  if (exit.code === 0) handOver(dataDir)
}

t.test('with DATABASE_URL and MIGRATE_ON_START=true it migrates that database and serves', { skip: serverUrl ? false : 'DATABASE_URL is not set' }, async (t) => {
  const name = `keyturn_server_test_${randomBytes(6).toString('hex')}`
  await onServer(`CREATE DATABASE ${name}`)
  let server: Server | undefined
  t.teardown(async () => {
    if (server) await stop(server)
    await onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  })
  const url = new URL(serverUrl!)
  url.pathname = `/${name}`
  const dataDir = await tempDir(t)
  server = await start(t, { ...baseEnv, DATA_DIR: dataDir, DATABASE_URL: url.toString(), MIGRATE_ON_START: 'true' })
  await ready(server)

  t.equal((await request(server, 'GET', '/readyz')).status, 200)
  t.ok(logLines(server).some((line) => line.msg === 'migrated'), 'migrated on start')
  t.notOk(logLines(server).some((line) => line.msg === 'using the embedded database'))
  const account = await registerAndMe(t, server)

  const client = new pg.Client({ connectionString: url.toString() })
  await client.connect()
  try {
    const { rows } = await client.query('SELECT id FROM users WHERE username = $1', [account.username])
    t.equal(rows.length, 1, 'the user is in the Postgres database')
  } finally {
    await client.end()
  }
  t.same(await readdir(dataDir), [], 'nothing is written to DATA_DIR')
})

t.test('SIGTERM drains in-flight requests, refuses new connections and exits 0', async (t) => {
  const dataDir = await migratedDataDir(t)
  // A login costs a second or so: long enough to be in flight when the signal comes.
  // SHUTDOWN_GRACE (default 10 s) is raised: on a loaded machine that login alone can take longer.
  const server = await start(t, {
    ...baseEnv,
    DATA_DIR: dataDir,
    ARGON2_MEMORY_COST: '262144',
    ARGON2_TIME_COST: '3',
    SHUTDOWN_GRACE: '60s',
  })
  await ready(server)
  const account = await register(t, server)

  let settled = false
  const login = request(server, 'POST', '/v1/auth/login', { username: account.username, password: PASSWORD }).finally(() => {
    settled = true
  })
  await waitForLog(server, (line) => line.msg === 'incoming request' && (line.req as { path?: string })?.path === '/v1/auth/login')
  t.equal(settled, false, 'the login is in flight')
  server.child.kill('SIGTERM')
  await waitForLog(server, (line) => line.msg === 'shutting down: draining requests')

  let refusedWhileInFlight: boolean | undefined
  // Ends at the first refusal; the deadline only keeps a broken close from hanging the test.
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    const result = await connect(server.port)
    if (result === 'ECONNREFUSED') {
      refusedWhileInFlight = !settled
      break
    }
    await sleep(10)
  }
  t.equal(refusedWhileInFlight, true, 'new connections are refused while the login is still being answered')

  const answer = await login
  t.equal(answer.status, 200, 'the in-flight login completes')
  t.type(answer.body?.tokens?.access_token, 'string')

  const exit = await waitExit(server)
  const after = logLines(server).slice(-4).map((line) => line.msg)
  t.same(exit, { code: 0, signal: null }, 'exits with code 0', { lastLogLines: after })
  t.notOk(
    logLines(server).some((line) => line.msg === 'requests did not drain in time; exiting'),
    'drained once the login was answered, not forced out by SHUTDOWN_GRACE (the client keeps its connection alive)',
  )
  t.ok(logLines(server).some((line) => line.msg === 'stopped'), 'logs that it stopped')
  t.equal(await connect(server.port), 'ECONNREFUSED', 'nothing listens afterwards')
  t.notOk(existsSync(path.join(dataDir, 'keyturn.lock')), 'a clean stop releases DATA_DIR')
})

t.test('a bad configuration stops the start, naming the variable', async (t) => {
  const { JWT_SECRET: _, ...noSecret } = baseEnv
  const cases: { label: string; env: Record<string, string>; variables: string[]; database?: boolean }[] = [
    { label: 'ACCESS_TOKEN_TTL=soon', env: { ...baseEnv, ACCESS_TOKEN_TTL: 'soon' }, variables: ['ACCESS_TOKEN_TTL'] },
    { label: 'production without JWT_SECRET', env: { ...noSecret, NODE_ENV: 'production' }, variables: ['JWT_SECRET'] },
    {
      label: 'production, bad PORT and LOG_LEVEL',
      env: { ...noSecret, NODE_ENV: 'production', PORT: 'http', LOG_LEVEL: 'verbose' },
      variables: ['JWT_SECRET', 'PORT', 'LOG_LEVEL'],
    },
    // Valid in form, but openapi.yaml has no such limit: refused once the spec is loaded.
    { label: 'an unknown rate limit', env: { ...baseEnv, RATE_LIMIT_LOGIN_EMAIL: '5/1m' }, variables: ['RATE_LIMIT_LOGIN_EMAIL'], database: true },
  ]
  await Promise.all(
    cases.map(async ({ label, env, variables, database }) => {
      const dataDir = database ? await migratedDataDir(t) : await tempDir(t)
      const server = await start(t, { DATA_DIR: dataDir, ...env })
      const exit = await waitExit(server)
      if (!database) t.same(await readdir(dataDir), [], `${label}: refused before touching DATA_DIR`)
      t.not(exit.code, 0, `${label}: a non-zero exit`)
      t.not(exit.code, null, `${label}: exits by itself, not by a signal`)
      for (const variable of variables) t.match(server.stderr(), variable, `${label}: stderr names ${variable}`)
      t.notMatch(server.stderr(), /\n\s+at /, `${label}: a message, not a stack trace`)
      t.equal(await connect(server.port), 'ECONNREFUSED', `${label}: never listened`)
    }),
  )
})

t.test('without JWT_SECRET in development it starts with a loud warning', async (t) => {
  const dataDir = await migratedDataDir(t)
  const { JWT_SECRET: _, ...env } = baseEnv
  const server = await start(t, { ...env, DATA_DIR: dataDir })
  await ready(server)
  const warning = logLines(server).find((line) => line.msg.includes('JWT_SECRET'))
  t.ok(warning, 'a log line mentions JWT_SECRET')
  t.ok((warning?.level ?? 0) >= 40, 'at warn level or above')
  await registerAndMe(t, server)
})

t.test('DATA_DIR belongs to one process, and its data outlives the process', async (t) => {
  const dataDir = await migratedDataDir(t)
  const first = await start(t, { ...baseEnv, DATA_DIR: dataDir })
  await ready(first)
  const account = await register(t, first)

  const second = await start(t, { ...baseEnv, DATA_DIR: dataDir })
  const refused = await waitExit(second)
  t.not(refused.code, 0, 'the second process exits non-zero')
  t.not(refused.code, null, 'by itself')
  t.match(second.stderr(), dataDir, 'the message names the data directory')
  t.match(second.stderr(), /in use/, 'and says it is in use')
  t.match(second.stderr(), String(first.child.pid), 'and by which process')
  t.equal(await connect(second.port), 'ECONNREFUSED', 'the second never listened')
  t.equal(await readFile(path.join(dataDir, 'keyturn.lock'), 'utf8'), String(first.child.pid), 'the lock still names the first')

  t.equal((await request(first, 'GET', '/readyz')).status, 200, 'the first keeps serving')
  const login = await request(first, 'POST', '/v1/auth/login', { username: account.username, password: PASSWORD })
  t.equal(login.status, 200, 'and its database still works')

  first.child.kill('SIGTERM')
  t.same(await waitExit(first), { code: 0, signal: null })

  const third = await start(t, { ...baseEnv, DATA_DIR: dataDir })
  await ready(third)
  t.notOk(
    logLines(third).some((line) => line.msg === 'migrated'),
    'the schema is already there: no migration ran',
  )
  const again = await request(third, 'POST', '/v1/auth/login', { username: account.username, password: PASSWORD })
  t.equal(again.status, 200, 'the user registered before the restart can log in')
  t.equal(again.body?.user?.id, account.id, 'as the same user')
  const me = await request(third, 'GET', '/v1/auth/me', undefined, { authorization: `Bearer ${account.access}` })
  t.equal(me.status, 200, 'an access token issued before the restart still works (same JWT_SECRET)', { body: me.body })
  const refreshed = await request(third, 'POST', '/v1/auth/refresh', { refresh_token: account.refresh })
  t.equal(refreshed.status, 200, 'so does the refresh token: the session persisted')
})

t.test('logs are JSON lines without passwords or tokens', async (t) => {
  const dataDir = await migratedDataDir(t)
  const server = await start(t, { ...baseEnv, DATA_DIR: dataDir, REFRESH_REUSE_INTERVAL: '0' })
  await ready(server)

  const secrets = new Map<string, string>([
    ['password', PASSWORD],
    ['JWT_SECRET', JWT_SECRET],
  ])
  const collect = (label: string, answer: Answer) => {
    const tokens = answer.body?.tokens
    if (tokens?.access_token) secrets.set(`${label} access token`, tokens.access_token)
    if (tokens?.refresh_token) secrets.set(`${label} refresh token`, tokens.refresh_token)
    return answer
  }
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
  const username = uniqueName()

  const registered = collect('register', await request(server, 'POST', '/v1/auth/register', { username, password: PASSWORD }))
  t.equal(registered.status, 201)
  const loggedIn = collect('login', await request(server, 'POST', '/v1/auth/login', { username, password: PASSWORD }))
  t.equal(loggedIn.status, 200)

  const wrongPassword = `wrong-${randomBytes(12).toString('hex')}`
  secrets.set('wrong password', wrongPassword)
  t.equal((await request(server, 'POST', '/v1/auth/login', { username, password: wrongPassword })).status, 401)
  const broken = await request(server, 'POST', '/v1/auth/login', `{"username":"${username}","password":"${PASSWORD}"`)
  t.equal(broken.status, 400, 'broken JSON carrying the password')

  const refreshed = collect('refresh', await request(server, 'POST', '/v1/auth/refresh', { refresh_token: loggedIn.body.tokens.refresh_token }))
  t.equal(refreshed.status, 200)
  const firstRefresh = collect('first refresh', await request(server, 'POST', '/v1/auth/refresh', { refresh_token: registered.body.tokens.refresh_token }))
  t.equal(firstRefresh.status, 200)
  const reused = await request(server, 'POST', '/v1/auth/refresh', { refresh_token: registered.body.tokens.refresh_token })
  t.equal(reused.status, 401, 'a reused refresh token')
  t.equal(reused.body?.code, 'refresh_token_reused')
  // A refresh token in a cookie header (REFRESH_COOKIE is off: only the header's logging matters here).
  await request(server, 'POST', '/v1/auth/refresh', undefined, { cookie: `keyturn_refresh=${refreshed.body.tokens.refresh_token}` })

  const access = refreshed.body.tokens.access_token as string
  const verified = await request(server, 'POST', '/v1/auth/verify', { token: access })
  t.equal(verified.body?.active, true)
  t.equal((await request(server, 'GET', '/v1/auth/me', undefined, bearer(access))).status, 200)
  await request(server, 'GET', `/v1/auth/me?access_token=${access}&refresh_token=${refreshed.body.tokens.refresh_token}`)
  t.equal((await request(server, 'GET', '/v1/auth/me', undefined, bearer(`${access}x`))).status, 401, 'a tampered token')
  t.equal((await request(server, 'POST', '/v1/auth/logout', { scope: 'session' }, bearer(access))).status, 204)
  const afterLogout = await request(server, 'POST', '/v1/auth/verify', { token: access })
  t.equal(afterLogout.body?.active, false, 'logged out')
  t.equal((await request(server, 'GET', '/v1/auth/me', undefined, bearer(access))).status, 401, 'a revoked token')

  server.child.kill('SIGTERM')
  t.same(await waitExit(server), { code: 0, signal: null })

  const rawLines = server.stdout().split('\n').filter((line) => line.trim() !== '')
  let lines: LogLine[] = []
  t.doesNotThrow(() => {
    lines = rawLines.map((line) => JSON.parse(line) as LogLine)
  }, 'every stdout line is JSON')
  t.ok(
    lines.every((line) => typeof line.level === 'number' && typeof line.time === 'number' && typeof line.msg === 'string'),
    'pino lines: level, time, msg',
  )
  const completed = new Set(
    lines.filter((line) => line.msg === 'request completed').map((line) => lines.find((other) => other.reqId === line.reqId && other.req)?.req),
  )
  const paths = new Set([...completed].map((req) => (req as { path?: string } | undefined)?.path))
  for (const logged of ['/v1/auth/register', '/v1/auth/login', '/v1/auth/refresh', '/v1/auth/verify', '/v1/auth/logout', '/v1/auth/me']) {
    t.ok(paths.has(logged), `the requests to ${logged} are logged`)
  }
  t.notOk([...paths].some((logged) => logged?.includes('?')), 'paths are logged without their query string')

  t.ok(secrets.size >= 8, 'tokens from register, login and refreshes were collected')
  for (const [label, secret] of secrets) {
    t.notOk(server.stdout().includes(secret), `no log line holds the ${label}`)
    t.notOk(server.stderr().includes(secret), `stderr does not hold the ${label}`)
  }
})
