import type { Config } from '../config.js'
import type { DbOptions } from './create-db.js'

/**
 * The database a configuration names, as createDb takes it: the one mapping
 * from DATABASE_* settings to a connection, for the service and every CLI
 * command alike (a command that skipped DATABASE_PREPARED_STATEMENTS broke
 * behind PgBouncer).
 */
export function databaseOptions(
  config: Config,
  overrides: { poolMax?: number; onPoolError?: (error: Error) => void } = {},
): DbOptions {
  return {
    url: config.database.url,
    dataDir: config.database.dataDir,
    poolMax: overrides.poolMax ?? config.database.poolMax,
    preparedStatements: config.database.preparedStatements,
    ...(overrides.onPoolError ? { onPoolError: overrides.onPoolError } : {}),
  }
}
