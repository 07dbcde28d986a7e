import type { Db } from './create-db.js'

/** Connections of a database handle, for the metrics. */
export interface PoolStats {
  total: number
  idle: number
  waiting: number
}

const sources = new WeakMap<Db, () => PoolStats>()

/** createDb records how its connections are counted (pg's Pool, or the embedded database's single turn). */
export function registerPoolStats(db: Db, read: () => PoolStats): void {
  sources.set(db, read)
}

/** Undefined for a handle createDb did not make (a db.withPlugin() copy). */
export function poolStatsOf(db: Db): PoolStats | undefined {
  return sources.get(db)?.()
}
