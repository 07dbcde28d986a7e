import { randomBytes } from 'node:crypto'
import type { FastifyBaseLogger, FastifyInstance, InjectOptions, LightMyRequestResponse as Response } from 'fastify'
import type { KyselyPlugin } from 'kysely'
import pg from 'pg'
import tap from 'tap'
import { buildApp } from '../src/app.js'
import type { Clock } from '../src/clock.js'
import { loadConfig, type Config, type Env } from '../src/config.js'
import type { PasswordHasher } from '../src/crypto/passwords.js'
import { createDb, type Db } from '../src/db/create-db.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { assertMatchesSpec } from './contract.js'

/** A tap test, as far as these helpers need one. */
export interface TestLike {
  teardown(fn: () => unknown): void
}

/** Set by .ci/run (and by you) to test against a Postgres server; unset means the embedded database. */
export const serverUrl = process.env.DATABASE_URL

/** Cheap argon2, a short login slowdown, no rate limits or timers: tests that need them turn them on. */
export const testEnv: Env = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  JWT_SECRET: 'test-secret-that-is-at-least-thirty-two-bytes-long',
  ARGON2_MEMORY_COST: '256',
  ARGON2_TIME_COST: '1',
  RATE_LIMIT_ENABLED: 'false',
  PRUNE_INTERVAL: '0',
  DENYLIST_SYNC_INTERVAL: '100ms',
  LOGIN_SLOWDOWN_MAX: '50ms',
  // Audit events are written when the app closes or the log is read, not on a
  // timer in the middle of a test counting the queries its requests make.
  AUDIT_FLUSH_INTERVAL: '60s',
}

export interface TestDb {
  db: Db
  /** The database's own URL on the server; undefined when embedded. */
  url: string | undefined
}

/** A fresh database, migrated unless asked not to: in memory, or a new database on the server. */
export async function createTestDb(t: TestLike, { migrated = true } = {}): Promise<TestDb> {
  if (!serverUrl) {
    const db = await createDb({})
    if (migrated) await migrateToLatest(db)
    t.teardown(() => db.destroy())
    return { db, url: undefined }
  }
  const name = `keyturn_test_${randomBytes(6).toString('hex')}`
  await onServer(`CREATE DATABASE ${name}`)
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  const db = await createDb({ url: url.toString(), poolMax: 10 })
  if (migrated) await migrateToLatest(db)
  t.teardown(async () => {
    await db.destroy().catch(() => {})
    await onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  })
  return { db, url: url.toString() }
}

let fileDatabase: Promise<TestDb> | undefined
/**
 * The database of this test file, made on first use and dropped when the file
 * ends: test files run in parallel, each on its own database; the tests of one
 * file share it and keep apart by using their own users.
 */
export function fileDb(): Promise<TestDb> {
  fileDatabase ??= createTestDb(tap)
  return fileDatabase
}

export async function onServer(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

/** A clock that moves only when told to. A wait on it (the login slowdown) is recorded and over at once. */
export class TestClock implements Clock {
  /** Every wait asked of this clock, in ms, in order. */
  readonly waits: number[] = []
  constructor(public ms = Date.now()) {}
  now(): number {
    return this.ms
  }
  advance(ms: number): void {
    this.ms += ms
  }
  async sleep(ms: number): Promise<void> {
    this.waits.push(ms)
  }
}

export interface BuildOptions {
  env?: Env
  db?: Db
  clock?: Clock
  logger?: FastifyBaseLogger
  passwords?: PasswordHasher
}

export interface TestApp {
  app: FastifyInstance
  db: Db
  config: Config
  /** app.inject, and the response must be one openapi.yaml documents. */
  call(options: InjectOptions & { method: string; url: string }): Promise<Response>
}

export async function build(t: TestLike, options: BuildOptions = {}): Promise<TestApp> {
  const db = options.db ?? (await fileDb()).db
  const config = loadConfig({ ...testEnv, ...options.env })
  const app = await buildApp({
    config,
    db,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.passwords ? { passwords: options.passwords } : {}),
  })
  t.teardown(() => app.close())
  return { app, db, config, call: (request) => call(app, request) }
}

export async function call(app: FastifyInstance, request: InjectOptions & { method: string; url: string }): Promise<Response> {
  const res = await app.inject(request)
  assertMatchesSpec(request.method, request.url, res)
  return res
}

let counter = 0
/** A username no other test in this file uses. */
export function uniqueName(prefix = 'user'): string {
  return `${prefix}${process.pid}x${++counter}`
}

export const PASSWORD = 'correct horse battery staple'

export interface Account {
  username: string
  id: number
  access: string
  refresh: string
}

/** Registers a new user and returns their first tokens. */
export async function signUp(testApp: TestApp, username = uniqueName()): Promise<Account> {
  const res = await testApp.call({
    method: 'POST',
    url: '/v1/auth/register',
    payload: { username, password: PASSWORD, email: `${username}@example.com` },
  })
  if (res.statusCode !== 201) throw new Error(`sign-up failed: ${res.statusCode} ${res.body}`)
  const body = res.json()
  return { username, id: body.user.id, access: body.tokens.access_token, refresh: body.tokens.refresh_token }
}

export async function signIn(testApp: TestApp, username: string, password = PASSWORD): Promise<Account> {
  const res = await testApp.call({ method: 'POST', url: '/v1/auth/login', payload: { username, password } })
  if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`)
  const body = res.json()
  return { username, id: body.user.id, access: body.tokens.access_token, refresh: body.tokens.refresh_token }
}

export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` }
}

/** The requests most tests make, as a client would send them (each response checked against openapi.yaml). */
export const login = (app: TestApp, username: string, password = PASSWORD) =>
  app.call({ method: 'POST', url: '/v1/auth/login', payload: { username, password } })
export const refresh = (app: TestApp, refreshToken: string) =>
  app.call({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: refreshToken } })
export const me = (app: TestApp, accessToken: string) => app.call({ method: 'GET', url: '/v1/auth/me', headers: bearer(accessToken) })
export const verify = (app: TestApp, token: string) => app.call({ method: 'POST', url: '/v1/auth/verify', payload: { token } })
export const logout = (app: TestApp, accessToken: string, scope?: string) =>
  app.call({ method: 'POST', url: '/v1/auth/logout', headers: bearer(accessToken), ...(scope ? { payload: { scope } } : {}) })

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The file's database, seen through a counter of the queries that run on it. */
export async function countingDb(): Promise<{ db: Db; queries: () => number; reset: () => void }> {
  const { db } = await fileDb()
  let queries = 0
  // Counted as they run (some queries are compiled once and run many times).
  const counter: KyselyPlugin = {
    transformQuery: (args) => args.node,
    transformResult: async (args) => {
      queries++
      return args.result
    },
  }
  return { db: db.withPlugin(counter), queries: () => queries, reset: () => (queries = 0) }
}
