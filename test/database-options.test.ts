import { readFile } from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'
import { loadConfig } from '../src/config.js'
import { databaseOptions } from '../src/db/options.js'

t.test('one mapping from configuration to database options, DATABASE_PREPARED_STATEMENTS included', async (t) => {
  const url = 'postgres://keyturn@db.example:6432/keyturn'
  const behindPgBouncer = loadConfig({ DATABASE_URL: url, DATABASE_PREPARED_STATEMENTS: 'false', DATABASE_POOL_MAX: '4' })
  t.same(databaseOptions(behindPgBouncer), {
    url,
    dataDir: behindPgBouncer.database.dataDir,
    poolMax: 4,
    preparedStatements: false,
  })
  const forCommand = databaseOptions(behindPgBouncer, { poolMax: 2 })
  t.equal(forCommand.preparedStatements, false, 'a CLI command keeps the setting (keyturn migrate behind PgBouncer)')
  t.equal(forCommand.poolMax, 2)
  t.equal(databaseOptions(loadConfig({})).preparedStatements, true)
})

t.test('the service and every CLI command open the database through that mapping', async (t) => {
  const root = path.resolve(import.meta.dirname, '..', 'src')
  for (const file of ['server.ts', 'cli/database.ts']) {
    const source = await readFile(path.join(root, file), 'utf8')
    t.match(source, /createDb\(\s*databaseOptions\(config/, `${file} calls createDb(databaseOptions(config, …))`)
  }
})
