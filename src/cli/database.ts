import type { Config } from '../config.js'
import { createDb, type Db } from '../db/create-db.js'

/** The database the service uses (DATABASE_URL, or the embedded one in DATA_DIR), for one command. */
export async function withDatabase<T>(config: Config, work: (db: Db) => Promise<T>): Promise<T> {
  const db = await createDb({ url: config.database.url, dataDir: config.database.dataDir, poolMax: 2 })
  try {
    return await work(db)
  } finally {
    await db.destroy()
  }
}
