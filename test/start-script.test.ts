// `npm start` as an operator runs it: in a copy of the checkout without dist/
// (a fresh clone), it builds once and serves; started again it serves without
// building; SIGTERM sent to the npm process itself drains and stops the server.
import { randomBytes } from 'node:crypto'
import { cp, readdir, symlink, utimes } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import path from 'node:path'
import net from 'node:net'
import t, { type Test } from 'tap'
import { connect, logLines, projectRoot, request, running, spawnNode, tempDir, waitExit, waitReady, type Child } from './processes.js'

/** What a clone holds that `npm start` reads; node_modules is the checkout's own, linked. */
const CHECKOUT = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'openapi.yaml', 'src', 'migrations', 'assets', 'scripts']

const env = {
  JWT_SECRET: `start-script-${randomBytes(24).toString('hex')}`,
  ARGON2_MEMORY_COST: '256',
  ARGON2_TIME_COST: '1',
  LOG_LEVEL: 'info',
}

/**
 * npm start in `cwd`, as a shell would run it. Through env(1), which drops
 * the NODE_OPTIONS tap adds to every child: its loader breaks the compiler's
 * start. npm's banner is silenced; log lines are read from the JSON ones only.
 */
function npmStart(t: Test, cwd: string, dataDir: string): Promise<Child> {
  return spawnNode(t, { command: 'env', args: ['-u', 'NODE_OPTIONS', 'npm', 'start', '--silent'], cwd, env: { ...env, DATA_DIR: dataDir } })
}

const jsonLines = (child: Child) =>
  logLines({ ...child, stdout: () => child.stdout().split('\n').filter((line) => line.startsWith('{')).join('\n') })

// Nothing here depends on the database: it runs once, on the embedded one (CI runs the suite on both).
const onceOnly = process.env.DATABASE_URL ? 'runs on the embedded database only' : false

t.test('npm start builds a fresh clone once, serves, and stops on SIGTERM to npm itself', { skip: onceOnly }, async (t) => {
  const clone = await tempDir(t, 'keyturn-clone-')
  for (const entry of CHECKOUT) await cp(path.join(projectRoot, entry), path.join(clone, entry), { recursive: true })
  await symlink(path.join(projectRoot, 'node_modules'), path.join(clone, 'node_modules'), 'dir')
  const dataDir = await tempDir(t)

  const first = await npmStart(t, clone, dataDir)
  // A fresh clone on a busy machine: the build comes first, then initdb and the migrations.
  await waitReady(first, { ms: 240_000 })
  t.match(first.stderr(), /dist\/ has no .*: building/, 'a clone without dist/ is built first')
  t.ok(existsSync(path.join(clone, 'dist', 'src', 'server.js')), 'into dist/')
  t.equal((await request(first, 'GET', '/readyz')).status, 200)

  first.child.kill('SIGTERM') // npm's pid: the server is its child (exec), never this test's
  const exit = await waitExit(first, 60_000)
  t.same(exit, { code: 0, signal: null }, 'npm start exits 0')
  const messages = jsonLines(first).map((line) => line.msg)
  t.ok(messages.includes('shutting down: draining requests'), 'the server itself got the signal and drained')
  t.ok(messages.includes('stopped'), 'and stopped')
  t.equal(await connect(first.port), 'ECONNREFUSED', 'nothing listens on the port any more')
  t.notOk(existsSync(path.join(dataDir, 'keyturn.lock')), 'DATA_DIR is released: no server is left behind')

  const second = await npmStart(t, clone, dataDir)
  await waitReady(second, { ms: 120_000 })
  t.notMatch(second.stderr(), /building/, 'started again with dist/ up to date: no build')
  t.equal(jsonLines(second).filter((line) => line.msg === 'migrated').length, 0, 'and no migration: the data outlived the first')
  second.child.kill('SIGTERM')
  t.same(await waitExit(second, 60_000), { code: 0, signal: null })

  // A source newer than its output (a git pull) is built again before the next start.
  const { staleness } = (await import(path.join(projectRoot, 'scripts', 'run-built.mjs'))) as { staleness: (dir: string) => string | undefined }
  t.equal(staleness(clone), undefined, 'dist/ is up to date after the build')
  const later = new Date(Date.now() + 60_000)
  await utimes(path.join(clone, 'src', 'clock.ts'), later, later)
  t.equal(staleness(clone), 'src/clock.ts is newer than dist/', 'a changed source makes it stale')
})

t.test('a port in use is refused before the database is opened', async (t) => {
  const holder = net.createServer()
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => holder.close(() => resolve())))
  const port = (holder.address() as net.AddressInfo).port
  const dataDir = await tempDir(t)
  const server = await spawnNode(t, { args: ['--import', 'tsx', 'src/server.ts'], env: { ...env, DATA_DIR: dataDir }, port })
  const exit = await waitExit(server)
  t.equal(exit.code, 1, 'exits 1 by itself')
  t.match(server.stderr(), `port ${port} on 127.0.0.1 is in use`, 'naming the port')
  t.match(server.stderr(), /PORT/, 'and the variable to change')
  t.same(await readdir(dataDir), [], 'before touching DATA_DIR: the embedded database was never opened')
  t.notOk(running(server))
})

t.test('the server is a child of npm, not of a shell npm started', async (t) => {
  // What `exec` in the start script buys: npm signals its child, which must be node.
  const scripts = (await import(path.join(projectRoot, 'package.json'), { with: { type: 'json' } })).default.scripts as Record<string, string>
  t.match(scripts.start, /^exec node /, 'npm start execs node')
  t.match(scripts.migrate, /^exec node /, 'so does npm run migrate')
  t.notOk(scripts.prestart, 'and nothing builds before every start')
})
