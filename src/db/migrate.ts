import { promises as fs } from 'node:fs'
import path from 'node:path'
import { FileMigrationProvider, Migrator, type MigrationResultSet } from 'kysely'
import { migrationsDir } from '../paths.js'
import type { Db } from './create-db.js'

export function createMigrator(db: Db): Migrator {
  return new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder: migrationsDir }),
  })
}

export class MigrationError extends Error {
  constructor(
    readonly migrationName: string | undefined,
    cause: unknown,
  ) {
    super(`migration ${migrationName ?? '(unknown)'} failed: ${(cause as Error)?.message ?? cause}`, { cause })
    this.name = 'MigrationError'
  }
}

/** Throws a MigrationError naming the migration that failed; returns what ran. */
export function unwrapMigrationResult({ error, results = [] }: MigrationResultSet): string[] {
  if (error) throw new MigrationError(results.find((result) => result.status === 'Error')?.migrationName, error)
  return results.map((result) => result.migrationName)
}

export async function migrateToLatest(db: Db): Promise<string[]> {
  return unwrapMigrationResult(await createMigrator(db).migrateToLatest())
}
