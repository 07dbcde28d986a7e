import type { Config } from '../config.js'
import { createDb, type Db } from '../db/create-db.js'
import { databaseOptions } from '../db/options.js'

/** The database the service uses (DATABASE_URL, or the embedded one in DATA_DIR), for one command. */
export async function withDatabase<T>(config: Config, work: (db: Db) => Promise<T>, io?: { stderr: NodeJS.WritableStream }): Promise<T> {
  const db = await createDb(
    databaseOptions(config, {
      poolMax: 2,
      onPoolError: (error) => io?.stderr.write(`keyturn: database connection lost: ${error.message}\n`),
    }),
  )
  try {
    return await work(db)
  } finally {
    await db.destroy()
  }
}
