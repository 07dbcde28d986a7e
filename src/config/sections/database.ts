import path from 'node:path'
import { integer, parseBoolean, url } from '../parsers.js'
import { optional, variable } from '../variable.js'

export const databaseVariables = {
  database: {
    url: optional('DATABASE_URL', url(['postgres:', 'postgresql:']), {
      defaultDoc: 'unset: embedded',
      doc: 'a `postgres://` URL; unset means the embedded database in `DATA_DIR`',
    }),
    dataDir: variable('DATA_DIR', (raw) => path.resolve(raw.trim()), {
      default: { value: () => path.resolve('./data'), doc: '`./data`' },
      doc: 'where the embedded database lives (one process at a time)',
    }),
    poolMax: variable('DATABASE_POOL_MAX', integer({ min: 1, max: 1000 }), {
      default: '10',
      doc: 'Postgres connections per instance',
    }),
    preparedStatements: variable('DATABASE_PREPARED_STATEMENTS', parseBoolean, {
      default: 'true',
      doc: '`false` behind a pooler that shares server connections between clients (PgBouncer in transaction mode)',
    }),
    migrateOnStart: variable('MIGRATE_ON_START', parseBoolean, {
      default: { value: (env) => !env.DATABASE_URL?.trim(), doc: '`true` embedded, `false` with `DATABASE_URL`' },
      doc: 'run pending migrations before serving',
    }),
  },
}
