// npm run bench:import: `keyturn import-django` of BENCH_IMPORT_USERS (default
// 100,000) users, on Postgres and on the embedded database, each imported
// twice (the second run skips everyone). Runs the built CLI, as a user would.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const serverUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres')
const count = Number(process.env.BENCH_IMPORT_USERS ?? 100_000)

/** What `manage.py dumpdata auth.user` writes, with a pbkdf2_sha256 hash per user (not a real one: nobody logs in). */
function dump(users: number): string {
  const records = []
  for (let pk = 1; pk <= users; pk++) {
    records.push({
      model: 'auth.user',
      pk,
      fields: {
        password: `pbkdf2_sha256$870000$${randomBytes(16).toString('base64url')}$${randomBytes(32).toString('base64')}`,
        last_login: pk % 3 === 0 ? null : '2026-10-01T12:00:00.000Z',
        is_superuser: false,
        username: `user${pk}`,
        first_name: 'First',
        last_name: 'Last',
        // Every hundredth email is another user's in another case: the import drops those.
        email: pk % 100 === 0 ? `USER${pk - 1}@example.com` : `user${pk}@example.com`,
        is_staff: pk === 1,
        is_active: true,
        date_joined: '2024-01-01T00:00:00.000Z',
        groups: [],
        user_permissions: [],
      },
    })
  }
  return JSON.stringify(records)
}

async function onServer(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl.toString() })
  await client.connect()
  await client.query(sql).finally(() => client.end())
}

function keyturn(args: string[], env: Record<string, string>): Promise<{ seconds: number; stdout: string }> {
  const started = process.hrtime.bigint()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['dist/src/cli/index.js', ...args], {
      cwd: root,
      env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let stdout = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`keyturn ${args.join(' ')} exited with ${code}`))
      else resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, stdout })
    })
  })
}

async function measure(label: string, env: Record<string, string>, file: string): Promise<string[]> {
  await keyturn(['migrate'], env)
  const first = await keyturn(['import-django', file], env)
  const second = await keyturn(['import-django', file], env)
  const created = /created: (\d+)/.exec(first.stdout)?.[1]
  const skipped = /skipped: (\d+)/.exec(second.stdout)?.[1]
  return [
    `| ${label} | first run | ${first.seconds.toFixed(1)} s | created ${created} |`,
    `| ${label} | again | ${second.seconds.toFixed(1)} s | skipped ${skipped} |`,
  ]
}

const work = await mkdtemp(path.join(os.tmpdir(), 'keyturn-bench-import-'))
const file = path.join(work, 'users.json')
await writeFile(file, dump(count))
const database = `keyturn_bench_import_${process.pid}`
await onServer(`CREATE DATABASE ${database}`)
const url = new URL(serverUrl)
url.pathname = `/${database}`
try {
  const rows = [
    ...(await measure('Postgres', { DATABASE_URL: url.toString() }, file)),
    ...(await measure('embedded', { DATA_DIR: path.join(work, 'data') }, file)),
  ]
  console.log(`keyturn import-django of ${count.toLocaleString('en-US')} users (process start and migrate check included)\n`)
  console.log('| database | run | time | result |\n|---|---|---|---|')
  console.log(rows.join('\n'))
} finally {
  await onServer(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  await rm(work, { recursive: true, force: true })
}
