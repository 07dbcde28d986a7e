// keyturn keys generate and keys status, run as real subprocesses.
import { existsSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { loadConfig } from '../src/config.js'
import { configuredKeys } from '../src/config/sections/keys.js'
import { buildApp } from '../src/app.js'
import { testEnv, TestClock } from './helper.js'
import { keyturn, migratedEnv, withCliDatabase, type Env } from './cli-support.js'
import { keysEnv, privateJwk, type Jwk } from './keys-support.js'
import { tempDir } from './processes.js'

const MINUTE = 60_000

t.test('keys generate prints a fresh private JWK for each algorithm, and nothing else', async (t) => {
  const dataDir = path.join(await tempDir(t), 'never-created')
  const env: Env = { DATA_DIR: dataDir, LOG_LEVEL: 'info' }
  const kids = new Set<string>()
  for (const [args, alg, kty] of [
    [[], 'EdDSA', 'OKP'],
    [['--alg', 'ES256'], 'ES256', 'EC'],
    [['--alg=RS256'], 'RS256', 'RSA'],
  ] as const) {
    const run = await keyturn(['keys', 'generate', ...args], env)
    t.equal(run.code, 0, `${args.join(' ')}: exit 0`)
    t.equal(run.stderr, '', 'nothing on stderr')
    t.equal(run.stdout.trim().split('\n').length, 1, 'one line')
    const jwk = JSON.parse(run.stdout) as Jwk
    t.match(jwk, { kty, alg, use: 'sig', kid: /^\d{4}-\d{2}-\d{2}\.[A-Za-z0-9_-]{11}$/ }, `${alg} with a dated kid`)
    t.type(jwk.d, 'string', 'private')
    kids.add(jwk.kid!)
    const config = loadConfig({ JWT_KEYS: JSON.stringify({ keys: [jwk] }) })
    t.same(configuredKeys(config).map((key) => key.alg), [alg], 'JWT_KEYS takes it as it is')
  }
  t.equal(kids.size, 3, 'a fresh kid each time')
  t.notOk(existsSync(dataDir), 'no database was touched')
})

t.test('keys: usage errors are exit 2, --help is exit 0', async (t) => {
  const env: Env = {}
  for (const [args, code, stream, pattern] of [
    [['keys'], 2, 'stderr', /keyturn keys <generate \| status>/],
    [['keys', '--help'], 0, 'stdout', /keys generate .*\n.*keys status/],
    [['keys', 'rotate'], 2, 'stderr', /unknown command "keys rotate"/],
    [['keys', 'generate', '--help'], 0, 'stdout', /Usage: keyturn keys generate \[--alg EdDSA\|ES256\|RS256\]/],
    [['keys', 'status', '--help'], 0, 'stdout', /safe to remove/],
    [['keys', 'generate', '--alg', 'HS256'], 2, 'stderr', /--alg must be one of EdDSA, ES256, RS256/],
    [['keys', 'generate', '--bits', '4096'], 2, 'stderr', /Unknown option '--bits'/],
    [['keys', 'status', 'extra'], 2, 'stderr', /Unexpected argument 'extra'/],
  ] as const) {
    const run = await keyturn([...args], env)
    t.equal(run.code, code, `${args.join(' ')}: exit ${code}`)
    t.match(run[stream], pattern, `${args.join(' ')}: says so`)
  }
  const noKey = await keyturn(['keys', 'status'], { JWT_SECRET: '' })
  t.equal(noKey.code, 1, 'status with no key at all is a failure')
  t.match(noKey.stderr, /no signing key is configured: set JWT_KEYS/)
  const secretOnly = await keyturn(['keys', 'status'], { JWT_SECRET: 'x'.repeat(32) })
  t.equal(secretOnly.code, 0)
  t.match(secretOnly.stdout, /Only JWT_SECRET is configured/)
})

/** Starts (and stops) a service instance on the CLI's database at the clock's time: what publishes keys. */
async function startInstance(env: Env, keys: Jwk[], at: number): Promise<void> {
  await withCliDatabase(env, async (db) => {
    const app = await buildApp({ config: loadConfig({ ...testEnv, ...keysEnv(keys) }), db, clock: new TestClock(at) })
    await app.close()
  })
}

function line(stdout: string, kid: string): string {
  return stdout.split('\n').find((row) => row.startsWith(kid)) ?? ''
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

t.test('keys status lists each key: published, signing since and until, safe to remove after', async (t) => {
  const env = { ...(await migratedEnv(t)), JWT_SECRET: '' }
  const now = Date.now()
  const [oldest, middle, newest] = [privateJwk('RS256'), privateJwk('ES256'), privateJwk('EdDSA')]
  const statusOf = async (keys: Jwk[], extra: Env = {}) => {
    const run = await keyturn(['keys', 'status'], { ...env, ...keysEnv(keys, extra.JWT_SECRET), ...extra })
    t.equal(run.code, 0, run.stderr)
    return run.stdout
  }

  const unpublished = await statusOf([oldest])
  t.match(line(unpublished, oldest.kid!), /RS256 +– +– +– +– +not published yet/)

  // Two hours ago a brand-new deployment started with the oldest key; an hour ago the middle one was added.
  const start = now - 120 * MINUTE
  await startInstance(env, [oldest], start)
  const added = now - 60 * MINUTE
  await startInstance(env, [middle, oldest], added)
  const settled = await statusOf([middle, oldest])
  t.match(settled, /^kid +alg +published since +signing since +signing until +safe to remove after +state/)
  t.match(line(settled, middle.kid!), new RegExp(`ES256 +${iso(added)} +${iso(added + 10 * MINUTE)} +– +– +signing$`))
  // It stopped signing when the middle key took over; 15 m TTL + 0 leeway + 10 m JWKS_MAX_AGE later it is safe to remove.
  t.match(
    line(settled, oldest.kid!),
    new RegExp(`RS256 +${iso(start)} +${iso(start)} +${iso(added + 10 * MINUTE)} +${iso(added + 35 * MINUTE)} +safe to remove$`),
  )

  // Now the newest is added: published, waiting; the middle one signs until then.
  await startInstance(env, [newest, middle, oldest], now)
  const rotating = await statusOf([newest, middle, oldest])
  t.match(line(rotating, newest.kid!), new RegExp(`EdDSA +${iso(now)} +${iso(now + 10 * MINUTE)} +– +– +published, not signing yet$`))
  t.match(line(rotating, middle.kid!), new RegExp(`ES256 +${iso(added)} +${iso(added + 10 * MINUTE)} +${iso(now + 10 * MINUTE)} +${iso(now + 35 * MINUTE)} +signing$`))

  const withSecret = await statusOf([newest, middle, oldest], { JWT_SECRET: 'k'.repeat(32) })
  t.match(line(withSecret, 'JWT_SECRET'), new RegExp(`HS256 +never \\(not published\\) +before the keys +${iso(start)} +${iso(start + 25 * MINUTE)} +safe to remove$`))

  // The oldest and middle keys removed at once, the newest not yet eligible: signing early, and a warning.
  const early = await statusOf([newest])
  t.match(line(early, newest.kid!), /SIGNING EARLY/)
  t.match(early, /Warning: no configured key may sign yet/)
})

t.test('keys status refuses a kid recorded with other key material', async (t) => {
  const env = { ...(await migratedEnv(t)), JWT_SECRET: '' }
  const key = privateJwk('EdDSA')
  await startInstance(env, [key], Date.now())
  const impostor = privateJwk('EdDSA', key.kid)
  const run = await keyturn(['keys', 'status'], { ...env, ...keysEnv([impostor]) })
  t.equal(run.code, 1)
  t.match(run.stderr, new RegExp(`kid "${key.kid}" was published before with other key material`))
  t.notMatch(run.stderr + run.stdout, impostor.d!, 'no key material in the output')
})
