import type { Config } from '../config.js'
import { createDb, type Db } from '../db/create-db.js'
import { explainDatabaseError, schemaProblem } from '../db/diagnose.js'
import { databaseOptions } from '../db/options.js'

export interface WithDatabaseOptions {
  stderr?: NodeJS.WritableStream
  /** Refuse, saying what to run, unless every migration has run (all but `keyturn migrate` need the tables). */
  migrated?: boolean
}

/** The database the service uses (DATABASE_URL, or the embedded one in DATA_DIR), for one command. */
export async function withDatabase<T>(config: Config, work: (db: Db) => Promise<T>, options: WithDatabaseOptions = {}): Promise<T> {
  const db = await createDb(
    databaseOptions(config, {
      poolMax: 2,
      onPoolError: (error) => options.stderr?.write(`keyturn: database connection lost: ${error.message}\n`),
    }),
  )
  try {
    if (options.migrated ?? true) {
      const problem = await schemaProblem(db)
      if (problem) throw new Error(problem)
    }
    return await work(db)
  } catch (error) {
    const explained = explainDatabaseError(error, config.database.url)
    throw explained ? new Error(explained, { cause: error }) : error
  } finally {
    await db.destroy()
  }
}
