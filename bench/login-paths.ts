// npm run bench, after bench/run.ts: how long a login takes on each way it can
// go, side by side. What an observer times must not tell an unknown name from
// a wrong password, an inactive account or an unusable hash; an account still
// on an imported Django hash pays that hash's cost until its first login here
// (README, "Moving the users"), and is shown for comparison.
import { createHash, pbkdf2Sync, randomBytes } from 'node:crypto'
import argon2 from 'argon2'
import bcrypt from 'bcrypt'
import pg from 'pg'
import { foldLoginName } from '../src/db/login-names.js'
import { createBenchDatabase, password, post, start, stopAll } from './harness.js'

const SAMPLES = Number(process.env.BENCH_LOGIN_SAMPLES ?? 15)
const LEGACY_SAMPLES = Number(process.env.BENCH_LOGIN_LEGACY_SAMPLES ?? 5)
/** The slowdown the slowed paths wait, once: LOGIN_SLOWDOWN_MAX below. */
const SLOWDOWN_MS = 200
const SLOWDOWN_AFTER = 3
/** How far apart the medians of the paths that must look alike may be. */
const TOLERANCE = 0.2

/** Django's current defaults, the most an imported hash may cost (src/crypto/django-hashes.ts). */
const django = {
  pbkdf2: (secret: string) => {
    const salt = randomBytes(16).toString('base64url').slice(0, 22)
    return `pbkdf2_sha256$1500000$${salt}$${pbkdf2Sync(secret, salt, 1_500_000, 32, 'sha256').toString('base64')}`
  },
  bcrypt: async (secret: string) =>
    `bcrypt_sha256$${await bcrypt.hash(createHash('sha256').update(secret).digest('hex'), 12)}`,
  argon2: async (secret: string) => {
    const phc = await argon2.hash(secret, { type: argon2.argon2id, memoryCost: 102_400, timeCost: 2, parallelism: 8 })
    // argon2-cffi writes m, t, p in that order; the argon2 package sorts them.
    return `argon2${phc.replace(/m=(\d+),p=(\d+),t=(\d+)/, 'm=$1,t=$3,p=$2')}`
  },
}

interface Path {
  name: string
  /** Must take as long as the others of its group: `native`, `slowed`; `legacy` is shown, not held to it. */
  group: 'native' | 'slowed' | 'legacy'
  /** The login attempted; a fresh one per sample where a name must not carry state over. */
  attempt: () => { username: string; password: string }
}

async function main(): Promise<void> {
  const database = await createBenchDatabase('keyturn_bench_login')
  const client = new pg.Client({ connectionString: database.url })
  try {
    const keyturn = await start(['dist/src/server.js'], {
      DATABASE_URL: database.url,
      MIGRATE_ON_START: 'true',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      RATE_LIMIT_ENABLED: 'false',
      PRUNE_INTERVAL: '0',
      LOGIN_SLOWDOWN_AFTER: String(SLOWDOWN_AFTER),
      LOGIN_SLOWDOWN_MAX: `${SLOWDOWN_MS}ms`,
    })
    await client.connect()
    const account = async (name: string, set: Record<string, unknown> = {}) => {
      const res = await post(keyturn, '/v1/auth/register', { username: name, password })
      if (res.status !== 201) throw new Error(`register ${name}: ${res.status}`)
      for (const [column, value] of Object.entries(set)) {
        await client.query(`update users set ${column} = $1 where username = $2`, [value, name])
      }
      return name
    }
    const fresh = (prefix: string) => `${prefix}-${randomBytes(6).toString('hex')}`
    const wrong = 'not the password at all'
    const paths: Path[] = [
      { name: 'unknown name', group: 'native', attempt: () => ({ username: fresh('nobody'), password }) },
      { name: 'wrong password', group: 'native', attempt: () => ({ username: 'wrong', password: wrong }) },
      { name: 'inactive account (right password)', group: 'native', attempt: () => ({ username: 'inactive', password }) },
      { name: 'unusable hash (!...)', group: 'native', attempt: () => ({ username: 'unusable', password }) },
      { name: 'slowed unknown name', group: 'slowed', attempt: () => ({ username: 'slowed-nobody', password }) },
      { name: 'slowed account', group: 'slowed', attempt: () => ({ username: 'slowed', password: wrong }) },
      { name: 'imported pbkdf2_sha256 (1,500,000)', group: 'legacy', attempt: () => ({ username: 'pbkdf2', password: wrong }) },
      { name: 'imported bcrypt_sha256 (cost 12)', group: 'legacy', attempt: () => ({ username: 'bcrypt', password: wrong }) },
      { name: 'imported Django argon2 (100 MiB, t=2, p=8)', group: 'legacy', attempt: () => ({ username: 'argon2', password: wrong }) },
    ]
    await account('wrong')
    await account('inactive', { is_active: false })
    await account('unusable', { password: `!${randomBytes(30).toString('base64url')}` })
    await account('slowed')
    await account('pbkdf2', { password: django.pbkdf2(password) })
    await account('bcrypt', { password: await django.bcrypt(password) })
    await account('argon2', { password: await django.argon2(password) })

    /** Each sample starts from the same standing: a clean name, or one just past LOGIN_SLOWDOWN_AFTER (one delay to wait). */
    const prepare = async (path: Path, username: string) => {
      await client.query('delete from login_attempts where name = $1', [foldLoginName(username)])
      if (path.group !== 'slowed') return
      await client.query(
        `insert into login_attempts (name, failures, last_failed_at, next_attempt_at) values ($1, $2, now(), now() - interval '1 hour')`,
        [foldLoginName(username), SLOWDOWN_AFTER],
      )
    }
    const timings = new Map<Path, number[]>(paths.map((path) => [path, []]))
    for (const path of paths) await post(keyturn, '/v1/auth/login', path.attempt()) // warm up: JIT, pools, the dummy hash
    // Round-robin, so a slow moment of a shared machine spreads over every path.
    for (let round = 0; round < SAMPLES; round++) {
      for (const path of paths) {
        if (path.group === 'legacy' && round >= LEGACY_SAMPLES) continue
        const attempt = path.attempt()
        await prepare(path, attempt.username)
        const started = performance.now()
        const res = await post(keyturn, '/v1/auth/login', attempt)
        const ms = performance.now() - started
        if (res.status !== 401) throw new Error(`${path.name}: expected 401, got ${res.status}`)
        timings.get(path)!.push(ms)
      }
    }
    report(paths, timings)
  } finally {
    await client.end().catch(() => {})
    await stopAll([database.name])
  }
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

function report(paths: Path[], timings: Map<Path, number[]>): void {
  const median = (path: Path) => quantile(timings.get(path)!, 0.5)
  const reference = median(paths.find((path) => path.name === 'wrong password')!)
  console.log(`\nkeyturn login paths: ${SAMPLES} sequential logins each (${LEGACY_SAMPLES} for imported hashes), round-robin; every one refused (401)`)
  console.log(`slowed paths: LOGIN_SLOWDOWN_AFTER=${SLOWDOWN_AFTER} failures already, LOGIN_SLOWDOWN_MAX=${SLOWDOWN_MS}ms: each waits ${SLOWDOWN_MS} ms first`)
  console.log('| path | group | median ms | p90 ms | ÷ wrong password |')
  console.log('|---|---|---:|---:|---:|')
  for (const path of paths) {
    const values = timings.get(path)!
    const cells = [median(path).toFixed(1), quantile(values, 0.9).toFixed(1), `${((median(path) / reference) * 100).toFixed(0)}%`]
    console.log(`| ${path.name} | ${path.group} | ${cells.join(' | ')} |`)
  }
  for (const group of ['native', 'slowed'] as const) {
    const medians = paths.filter((path) => path.group === group).map(median)
    const spread = Math.max(...medians) / Math.min(...medians) - 1
    const verdict = spread <= TOLERANCE ? 'within' : 'NOT within'
    console.log(`${group} paths: the slowest median is ${(spread * 100).toFixed(1)}% over the fastest, ${verdict} ${TOLERANCE * 100}%`)
    if (spread > TOLERANCE) process.exitCode = 1
  }
  const slowed = paths.filter((path) => path.group === 'slowed').map(median)
  const native = paths.filter((path) => path.group === 'native').map(median)
  const waited = Math.min(...slowed) - Math.max(...native)
  console.log(`slowed minus native: at least ${waited.toFixed(0)} ms, the ${SLOWDOWN_MS} ms wait (applied whether or not the name has an account)`)
}

await main()
