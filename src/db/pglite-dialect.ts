import type { PGlite } from '@electric-sql/pglite'
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type TransactionSettings,
} from 'kysely'

/**
 * Kysely dialect for PGlite, the embedded Postgres. kysely 0.29 ships one but
 * needs Node 22; this is the same idea for 0.28 on Node 20. PGlite has a single
 * connection, so connections are handed out one holder at a time: a transaction
 * owns the database until it commits, as it would own a pooled connection.
 */
export class PGliteDialect implements Dialect {
  readonly #driver: PGliteDriver

  constructor(pglite: PGlite, onDestroy: () => Promise<void> = async () => {}) {
    this.#driver = new PGliteDriver(pglite, onDestroy)
  }

  createAdapter() {
    return new PostgresAdapter()
  }

  /** Its one connection: idle when no one holds it; waiting, those queued for their turn. */
  stats(): { total: number; idle: number; waiting: number } {
    return this.#driver.stats()
  }

  createDriver(): Driver {
    return this.#driver
  }

  /**
   * LISTEN on the embedded database. It takes its turn like any query: PGlite
   * has one session, and a LISTEN issued inside someone's open transaction
   * would be undone by their rollback.
   */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    return this.#driver.listen(channel, onNotify)
  }

  createIntrospector(db: Kysely<any>) {
    return new PostgresIntrospector(db)
  }

  createQueryCompiler() {
    return new PostgresQueryCompiler()
  }
}

class PGliteDriver implements Driver {
  #turn: Promise<void> = Promise.resolve()

  constructor(
    private readonly pglite: PGlite,
    private readonly onDestroy: () => Promise<void>,
  ) {}

  async init(): Promise<void> {
    await this.pglite.waitReady
  }

  /** Holders of a turn, the one running included. */
  #queued = 0

  stats(): { total: number; idle: number; waiting: number } {
    return { total: 1, idle: this.#queued === 0 ? 1 : 0, waiting: Math.max(0, this.#queued - 1) }
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.#turn
    let release!: () => void
    this.#queued++
    this.#turn = new Promise((resolve) => (release = resolve))
    await previous
    let released = false
    return new PGliteConnection(this.pglite, () => {
      if (!released) {
        released = true
        this.#queued--
      }
      release()
    })
  }

  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    const turn = (await this.acquireConnection()) as PGliteConnection
    let unlisten: () => Promise<void>
    try {
      unlisten = await this.pglite.listen(channel, onNotify)
    } finally {
      turn.release()
    }
    return async () => {
      if (this.pglite.closed) return
      const again = (await this.acquireConnection()) as PGliteConnection
      try {
        await unlisten()
      } finally {
        again.release()
      }
    }
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    let statement = 'begin'
    if (settings.isolationLevel || settings.accessMode) {
      statement = 'start transaction'
      if (settings.isolationLevel) statement += ` isolation level ${settings.isolationLevel}`
      if (settings.accessMode) statement += ` ${settings.accessMode}`
    }
    await connection.executeQuery(CompiledQuery.raw(statement))
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'))
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'))
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    ;(connection as PGliteConnection).release()
  }

  async destroy(): Promise<void> {
    // Wait for whoever holds the connection, then close.
    await this.acquireConnection()
    if (!this.pglite.closed) await this.pglite.close()
    await this.onDestroy()
  }
}

class PGliteConnection implements DatabaseConnection {
  constructor(
    private readonly pglite: PGlite,
    readonly release: () => void,
  ) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.pglite.query<R>(compiledQuery.sql, [...compiledQuery.parameters])
    const changed = ['INSERT', 'UPDATE', 'DELETE', 'MERGE'].includes((result as { command?: string }).command ?? '')
    return {
      rows: result.rows,
      ...(changed ? { numAffectedRows: BigInt(result.affectedRows ?? 0) } : {}),
    }
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported on the embedded database')
  }
}
