// keyturn as a real child process for the browser tests, with a record of the
// requests it logged (pino's "incoming request" / "request completed" lines).
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import type { Test } from 'tap'
import { freePort, randomName, spawnNode, waitForLine, type Child } from './processes.js'

export interface LoggedRequest {
  method: string
  path: string
  /** Set once keyturn logged the response. */
  status?: number
}

export interface Keyturn {
  url: string
  child: Child
  /** Every request keyturn has logged so far, in order of arrival. */
  requests(): LoggedRequest[]
  /**
   * Resolves when keyturn has logged everything it answered before this call:
   * a marker request goes in after them, and its log line comes after theirs.
   */
  settled(): Promise<void>
  /** POST /v1/auth/refresh requests answered so far (call settled() first). */
  refreshes(): LoggedRequest[]
  /** Resolves once the answered POST /v1/auth/refresh requests after the first `after` number `count`. */
  untilRefreshes(after: number, count: number, ms?: number): Promise<LoggedRequest[]>
}

/** What every browser test's keyturn gets: cheap hashing, request logs, no rate limits. */
const baseEnv = {
  ARGON2_MEMORY_COST: '256',
  ARGON2_TIME_COST: '1',
  LOG_LEVEL: 'info',
  RATE_LIMIT_ENABLED: 'false',
  LOGIN_SLOWDOWN_MAX: '50ms',
}

/** keyturn on a free port and a fresh database (a new one on DATABASE_URL's server, else an embedded one in a temp dir). */
export async function startKeyturn(t: Test, env: Record<string, string> = {}): Promise<Keyturn> {
  const port = env.PORT ? Number(env.PORT) : await freePort()
  const database = await freshDatabase(t)
  const child = spawnNode(t, ['--import', 'tsx', 'src/server.ts'], {
    ...baseEnv,
    JWT_SECRET: randomBytes(32).toString('hex'),
    ...database,
    ...env,
    PORT: String(port),
  })
  const url = `http://127.0.0.1:${port}`

  const byId = new Map<string, LoggedRequest>()
  const requests: LoggedRequest[] = []
  const markers = new Map<string, () => void>()
  const answered = new Set<() => void>()
  child.onLine((line) => {
    let record: { reqId?: string; req?: { method: string; path: string }; res?: { statusCode: number } }
    try {
      record = JSON.parse(line)
    } catch {
      return
    }
    if (!record.reqId) return
    if (record.req) {
      const request = { method: record.req.method, path: record.req.path }
      byId.set(record.reqId, request)
      requests.push(request)
    } else if (record.res) {
      const request = byId.get(record.reqId)
      if (!request) return
      request.status = record.res.statusCode
      markers.get(request.path)?.()
      for (const check of [...answered]) check()
    }
  })

  const refreshes = () =>
    requests.filter((request) => request.method === 'POST' && request.path === '/v1/auth/refresh' && request.status !== undefined)

  await waitForLine(child, (line) => line.includes('Server listening at'), `keyturn on port ${port}`)
  const health = await fetch(`${url}/healthz`)
  if (health.status !== 200) throw new Error(`keyturn's /healthz answered ${health.status}`)

  return {
    url,
    child,
    requests: () => requests,
    async settled() {
      const marker = `/__browser-test-marker/${randomUUID()}`
      const logged = new Promise<void>((resolve) => markers.set(marker, resolve))
      await (await fetch(`${url}${marker}`)).arrayBuffer()
      await logged
      markers.delete(marker)
    },
    refreshes,
    untilRefreshes(after, count, ms = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          answered.delete(check)
          reject(new Error(`keyturn answered ${refreshes().length - after} refreshes, not ${count}, within ${ms} ms`))
        }, ms)
        const check = () => {
          const since = refreshes().slice(after)
          if (since.length < count) return
          clearTimeout(timer)
          answered.delete(check)
          resolve(since)
        }
        answered.add(check)
        check()
      })
    },
  }
}

async function freshDatabase(t: Test): Promise<Record<string, string>> {
  const serverUrl = process.env.DATABASE_URL
  if (!serverUrl) {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'keyturn-browser-test-'))
    t.teardown(() => rm(dataDir, { recursive: true, force: true }))
    return { DATA_DIR: dataDir }
  }
  const name = randomName('keyturn_browser')
  await onServer(serverUrl, `CREATE DATABASE ${name}`)
  t.teardown(() => onServer(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return { DATABASE_URL: url.toString(), MIGRATE_ON_START: 'true' }
}

async function onServer(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}
