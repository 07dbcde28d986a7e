import readline from 'node:readline'
import { parseArgs } from 'node:util'
import { createMigrator, unwrapMigrationResult } from '../../db/migrate.js'
import { withDatabase } from '../database.js'
import { UsageError, type CliIo, type Command } from '../command.js'

export const migrate: Command = {
  name: 'migrate',
  summary: 'apply, undo or list database migrations',
  help: `Usage: keyturn migrate [up | down [--yes] | status]

  up      apply every pending migration (the default)
  down    undo the most recent migration: asks first on a terminal, and
          elsewhere (a script, a container) refuses unless --yes is given,
          since undoing a migration drops its tables and their rows
  status  list migrations and whether each has run

Works on DATABASE_URL, or on the embedded database in DATA_DIR when it is unset.`,

  async run(args, { config, io }) {
    const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { yes: { type: 'boolean', default: false } } })
    const [action = 'up', ...extra] = positionals
    if (extra.length > 0 || !['up', 'down', 'status'].includes(action)) {
      throw new UsageError(`unknown migrate action: ${[action, ...extra].join(' ')}`)
    }
    if (values.yes && action !== 'down') throw new UsageError('--yes goes with migrate down only')
    return withDatabase(
      config,
      async (db) => {
        const migrator = createMigrator(db)
        const migrations = await migrator.getMigrations()
        if (action === 'status') {
          for (const migration of migrations) io.stdout.write(`${migration.executedAt ? 'applied' : 'pending'}  ${migration.name}\n`)
          return 0
        }
        if (action === 'down') {
          const last = migrations.filter((migration) => migration.executedAt).at(-1)
          if (!last) {
            io.stdout.write('Nothing to undo.\n')
            return 0
          }
          if (!values.yes && !(await confirmed(io, last.name))) return 1
        }
        const result = action === 'up' ? await migrator.migrateToLatest() : await migrator.migrateDown()
        const names = unwrapMigrationResult(result)
        if (names.length === 0) io.stdout.write(action === 'up' ? 'Already up to date.\n' : 'Nothing to undo.\n')
        for (const name of names) io.stdout.write(`${action === 'up' ? 'applied' : 'reverted'}  ${name}\n`)
        return 0
      },
      { stderr: io.stderr, migrated: false },
    )
  },
}

/** What undoing a migration takes away, from its name: `…_create_sessions` drops the sessions table. */
export function whatUndoDrops(name: string): string {
  const table = /_create_([a-z0-9_]+)$/.exec(name)?.[1]
  return table ? `the ${table} table and every row in it` : 'whatever that migration added, data included'
}

/** On a terminal, asks; elsewhere, refuses: nobody is there to answer, and a script should say --yes. */
async function confirmed(io: CliIo, name: string): Promise<boolean> {
  const what = `undo ${name}, dropping ${whatUndoDrops(name)}`
  if (!io.stdin.isTTY) {
    io.stderr.write(`keyturn migrate down would ${what}.\nstdin is not a terminal, so nobody can confirm: pass --yes to do it.\n`)
    return false
  }
  const prompt = readline.createInterface({ input: io.stdin, output: io.stdout, terminal: true })
  try {
    const answer = await new Promise<string>((resolve) => prompt.question(`This will ${what}.\nType "yes" to go on: `, resolve))
    if (answer.trim().toLowerCase() === 'yes') return true
    io.stderr.write('Nothing was undone.\n')
    return false
  } finally {
    prompt.close()
  }
}
