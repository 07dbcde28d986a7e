// What an operator should read when the database is not what keyturn needs:
// where it tried (DATABASE_URL without its password), and what to do.
import { isUnavailableError } from './errors.js'
import { createMigrator } from './migrate.js'
import type { Db } from './create-db.js'

/** `DATABASE_URL (host db.internal, port 5432, database keyturn)`: never the user's password. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url)
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(the user\'s default)'
    return `DATABASE_URL (host ${parsed.hostname || 'localhost'}, port ${parsed.port || '5432'}, database ${database})`
  } catch {
    return 'DATABASE_URL'
  }
}

const SQLSTATE_HINTS: Record<string, string> = {
  '3D000': 'the database does not exist: create it, or fix the name',
  '28P01': 'the password was refused',
  '28000': 'the server refuses this user or host (pg_hba.conf)',
  '42501': 'the user lacks a privilege keyturn needs',
}

/**
 * An error from opening or first using the database, said so that the
 * operator knows which setting to look at; undefined for errors of another kind.
 */
export function explainDatabaseError(error: unknown, url: string | undefined): string | undefined {
  if (!url) return undefined
  const code = (error as { code?: unknown } | null)?.code
  const message = (error as Error | null)?.message ?? String(error)
  const hint = typeof code === 'string' ? SQLSTATE_HINTS[code] : undefined
  if (hint) return `cannot use the database at ${describeDatabaseUrl(url)}: ${hint} (${message})`
  if (isUnavailableError(error)) return `cannot reach the database at ${describeDatabaseUrl(url)}: ${message}`
  return undefined
}

/** Why this schema cannot serve, saying what to do; undefined when it is up to date. */
export async function schemaProblem(db: Db): Promise<string | undefined> {
  const migrations = await createMigrator(db).getMigrations()
  const pending = migrations.filter((migration) => migration.executedAt === undefined).map((migration) => migration.name)
  if (pending.length === 0) return undefined
  const state =
    pending.length === migrations.length
      ? 'the database has no keyturn tables'
      : `the database is behind by ${pending.length} migration${pending.length === 1 ? '' : 's'} (${pending.join(', ')})`
  return `${state}: run \`keyturn migrate\` (\`npm run migrate\` in a checkout) or set MIGRATE_ON_START=true`
}
