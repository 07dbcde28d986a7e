import { spawn, spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createDb, type Db } from '../src/db/create-db.js'
import { createTestDb, testEnv, type TestLike } from './helper.js'

export type Env = Record<string, string | undefined>

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

const root = path.resolve(import.meta.dirname, '..')

/** Runs `keyturn ...` as a real subprocess, with the given environment and stdin. */
export function keyturn(args: string[], env: Env, stdin = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(stdin)
  })
}

/**
 * The environment a CLI run needs to reach a database of its own: a fresh
 * empty database on the server, or a temporary DATA_DIR for the embedded one.
 */
export async function cliDatabaseEnv(t: TestLike): Promise<Env> {
  const base = { ...testEnv, LOG_LEVEL: 'warn' }
  if (process.env.DATABASE_URL) {
    const { db, url } = await createTestDb(t, { migrated: false })
    await db.destroy()
    return { ...base, DATABASE_URL: url }
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'keyturn-cli-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  return { ...base, DATA_DIR: dataDir }
}

/** A database of its own for the CLI, migrated by `keyturn migrate`. */
export async function migratedEnv(t: TestLike): Promise<Env> {
  const env = await cliDatabaseEnv(t)
  const migrated = await keyturn(['migrate'], env)
  if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stderr}`)
  return env
}

/** The CLI's database, opened from the test once the CLI processes are done (the embedded one allows one process). */
export async function openCliDatabase(t: TestLike, env: Env): Promise<Db> {
  const db = await createDb(env.DATABASE_URL ? { url: env.DATABASE_URL } : { dataDir: env.DATA_DIR })
  t.teardown(() => db.destroy())
  return db
}

/** Opens the CLI's database for one piece of work and closes it, so CLI runs can follow (see openCliDatabase). */
export async function withCliDatabase<T>(env: Env, work: (db: Db) => Promise<T>): Promise<T> {
  const db = await createDb(env.DATABASE_URL ? { url: env.DATABASE_URL } : { dataDir: env.DATA_DIR })
  try {
    return await work(db)
  } finally {
    await db.destroy()
  }
}

export const hasTerminal = spawnSync('script', ['--version']).status === 0

/** Runs keyturn in a pseudo-terminal (script(1)), typing each answer once its prompt has appeared. */
export function onTerminal(args: string[], env: Env, answers: [string, string][]): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, '--import', 'tsx', 'src/cli/index.ts', ...args].join(' ')
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  })
  let output = ''
  let answered = 0
  let searchFrom = 0
  child.stdout.on('data', (chunk) => {
    output += chunk
    const next = answers[answered]
    const at = next ? output.indexOf(next[0], searchFrom) : -1
    if (next && at >= 0) {
      searchFrom = at + next[0].length
      answered++
      child.stdin.write(`${next[1]}\r`)
    }
  })
  // A prompt that never comes fails the test instead of hanging it (late: tsx starts slowly on a loaded machine).
  const timer = setTimeout(() => child.kill(), 180_000)
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', () => clearTimeout(timer))
    child.on('close', (code) => resolve({ code, output }))
  })
}
