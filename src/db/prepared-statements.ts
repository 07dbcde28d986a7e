import { createHash } from 'node:crypto'
import type { PostgresPool, PostgresPoolClient } from 'kysely'
import type pg from 'pg'

/** Distinct statements worth preparing; past this, queries go unprepared (each connection keeps what it prepares). */
const MAX_STATEMENTS = 500
const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i

/**
 * Postgres parses and plans every unnamed query anew. A named statement is
 * parsed once per connection and reused, which roughly halves the server's
 * work for the short queries keyturn makes (a user by id, a token by hash).
 * Kysely produces the same text for the same query shape, so the set stays
 * small. Queries name their columns rather than `*`, so a migration that adds
 * a column does not invalidate a running instance's prepared statements.
 */
export function withPreparedStatements(pool: pg.Pool): PostgresPool {
  const names = new Map<string, string>()
  function nameFor(sql: string): string | undefined {
    let name = names.get(sql)
    if (name === undefined && names.size < MAX_STATEMENTS && PREPARABLE.test(sql)) {
      name = `keyturn_${createHash('sha1').update(sql).digest('hex').slice(0, 24)}`
      names.set(sql, name)
    }
    return name
  }

  return {
    async connect() {
      const client = await pool.connect()
      const wrapped = {
        query(sql: string, parameters: readonly unknown[]) {
          const name = nameFor(sql)
          return client.query(name ? { name, text: sql, values: [...parameters] } : { text: sql, values: [...parameters] })
        },
        release: () => client.release(),
      }
      return wrapped as unknown as PostgresPoolClient
    },
    end: () => pool.end(),
  }
}

