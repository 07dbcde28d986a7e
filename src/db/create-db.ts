import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { lockDataDir } from './data-dir-lock.js'
import { listenOnPostgres, registerListen } from './notifications.js'
import { PGliteDialect } from './pglite-dialect.js'
import { registerPoolStats } from './pool-stats.js'
import { withPreparedStatements } from './prepared-statements.js'
import type { Database } from './schema.js'

export type Db = Kysely<Database>

export interface DbOptions {
  /** A postgres:// URL; unset means the embedded database. */
  url?: string | undefined
  /** Where the embedded database lives; unset means in memory (tests). */
  dataDir?: string | undefined
  poolMax?: number
  /** Named statements, parsed once per connection. Off for poolers that share server connections across clients. */
  preparedStatements?: boolean
  onPoolError?: (error: Error) => void
}

const INT8_OID = 20

export async function createDb(options: DbOptions): Promise<Db> {
  return options.url ? createPostgresDb(options.url, options) : createEmbeddedDb(options.dataDir)
}

function createPostgresDb(url: string, options: DbOptions): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: 5_000,
    statement_timeout: 15_000,
    // The server's statement_timeout cannot fire if the server is unreachable:
    // give up on a query from this side too, and notice dead peers.
    query_timeout: 20_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    // Ids and counts are int8; they fit a JS number for any realistic table.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  })
  // A connection that dies (server restart, failover, network) makes its client
  // emit 'error'. pg-pool listens only while a client is idle; one that dies
  // while checked out would throw an uncaught exception and end the process.
  // So every client gets a listener of its own: its query fails (a 503), and
  // the pool discards it on release.
  const onError = (error: Error) => options.onPoolError?.(error)
  pool.on('error', onError)
  pool.on('connect', (client) => client.on('error', onError))
  const dialect = new PostgresDialect({ pool: options.preparedStatements === false ? pool : withPreparedStatements(pool) })
  const db = new Kysely<Database>({ dialect })
  registerListen(db, listenOnPostgres(url))
  registerPoolStats(db, () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }))
  return db
}

async function createEmbeddedDb(dataDir: string | undefined): Promise<Db> {
  const parsers = { [INT8_OID]: (value: string) => Number(value) }
  if (dataDir === undefined) return opened(new PGliteDialect(await PGlite.create({ parsers })))
  const unlock = lockDataDir(dataDir)
  try {
    const pglite = await PGlite.create({ dataDir: path.join(dataDir, 'pglite'), parsers })
    return await opened(new PGliteDialect(pglite, async () => unlock()))
  } catch (error) {
    unlock()
    throw error
  }
}

/**
 * Kysely's destroy() closes only a driver that has run a query; a PGlite left
 * open keeps the process alive and its data directory locked. Running one now
 * makes destroy() always close it.
 */
async function opened(dialect: PGliteDialect): Promise<Db> {
  const db = new Kysely<Database>({ dialect })
  await sql`select 1`.execute(db)
  registerListen(db, async (channel, { onNotify }) => {
    const unlisten = await dialect.listen(channel, onNotify)
    return { close: unlisten }
  })
  registerPoolStats(db, () => dialect.stats())
  return db
}
