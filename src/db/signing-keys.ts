import { sql } from 'kysely'
import type { Db } from './create-db.js'
import type { SigningKeyRow } from './schema.js'
import { inTransaction, type Executor } from './transaction.js'

/** Any constant: the advisory lock under which instances record key publications. */
const SIGNING_KEYS_LOCK = 0x6b657973 // "keys"

const columns = ['kid', 'alg', 'thumbprint', 'first_published_at', 'signs_from'] as const

export interface PublishedKey {
  kid: string
  alg: string
  thumbprint: string
}

/**
 * Records that these keys (newest first) are published from `now`, unless an
 * instance published them before, and returns every one's row. A new key may
 * sign `delayMs` later; on a brand-new deployment (no key was ever recorded,
 * and `firstSignsAtOnce`) the newest signs at once. Two instances starting
 * together take turns under the lock, so the second finds the first's rows and
 * both keep the same moments.
 */
export async function recordPublication(
  db: Db,
  keys: readonly PublishedKey[],
  now: Date,
  options: { delayMs: number; firstSignsAtOnce: boolean },
): Promise<SigningKeyRow[]> {
  if (keys.length === 0) return []
  return inTransaction(db, async (trx) => {
    await sql`select pg_advisory_xact_lock(${SIGNING_KEYS_LOCK})`.execute(trx)
    const anyRecorded = await trx.selectFrom('signing_keys').select('kid').limit(1).executeTakeFirst()
    const known = await findSigningKeys(trx, keys.map((key) => key.kid))
    const knownKids = new Set(known.map((row) => row.kid))
    const signsAtOnce = !anyRecorded && options.firstSignsAtOnce ? keys[0]!.kid : undefined
    const fresh = keys
      .filter((key) => !knownKids.has(key.kid))
      .map((key) => ({
        kid: key.kid,
        alg: key.alg,
        thumbprint: key.thumbprint,
        first_published_at: now,
        signs_from: key.kid === signsAtOnce ? now : new Date(now.getTime() + options.delayMs),
      }))
    const inserted = fresh.length > 0 ? await trx.insertInto('signing_keys').values(fresh).returning(columns).execute() : []
    return [...known, ...inserted]
  })
}

/** The recorded rows of these kids (those never published have none). */
export async function findSigningKeys(db: Executor, kids: readonly string[]): Promise<SigningKeyRow[]> {
  if (kids.length === 0) return []
  return db.selectFrom('signing_keys').select(columns).where('kid', 'in', kids).execute()
}
