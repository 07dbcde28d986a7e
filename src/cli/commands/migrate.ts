import { parseArgs } from 'node:util'
import { createMigrator, unwrapMigrationResult } from '../../db/migrate.js'
import { withDatabase } from '../database.js'
import { UsageError, type Command } from '../command.js'

export const migrate: Command = {
  name: 'migrate',
  summary: 'apply, undo or list database migrations',
  help: `Usage: keyturn migrate [up | down | status]

  up      apply every pending migration (the default)
  down    undo the most recent migration
  status  list migrations and whether each has run

Works on DATABASE_URL, or on the embedded database in DATA_DIR when it is unset.`,

  async run(args, { config, io }) {
    const { positionals } = parseArgs({ args, allowPositionals: true, options: {} })
    const [action = 'up', ...extra] = positionals
    if (extra.length > 0 || !['up', 'down', 'status'].includes(action)) {
      throw new UsageError(`unknown migrate action: ${[action, ...extra].join(' ')}`)
    }
    return withDatabase(config, async (db) => {
      const migrator = createMigrator(db)
      if (action === 'status') {
        for (const migration of await migrator.getMigrations()) {
          io.stdout.write(`${migration.executedAt ? 'applied' : 'pending'}  ${migration.name}\n`)
        }
        return 0
      }
      const result = action === 'up' ? await migrator.migrateToLatest() : await migrator.migrateDown()
      const names = unwrapMigrationResult(result)
      if (names.length === 0) io.stdout.write(action === 'up' ? 'Already up to date.\n' : 'Nothing to undo.\n')
      for (const name of names) io.stdout.write(`${action === 'up' ? 'applied' : 'reverted'}  ${name}\n`)
      return 0
    })
  },
}
