import type { Transaction } from 'kysely'
import type { Db } from './create-db.js'
import { isRetryableTransactionError } from './errors.js'
import type { Database } from './schema.js'

export type Trx = Transaction<Database>
/** Either the database or an open transaction: data functions accept both. */
export type Executor = Db | Trx

const ATTEMPTS = 3

/**
 * Runs `work` in one transaction. A deadlock or serialization failure rolled
 * everything back, so the work is simply run again (a few times at most).
 */
export async function inTransaction<T>(db: Db, work: (trx: Trx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(work)
    } catch (error) {
      if (attempt >= ATTEMPTS || !isRetryableTransactionError(error)) throw error
    }
  }
}
