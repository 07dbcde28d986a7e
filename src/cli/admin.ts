import type { Config } from '../config.js'
import { systemClock } from '../clock.js'
import type { Db } from '../db/create-db.js'
import { createLogger } from '../logger.js'
import { findUserByIdOrName, type AdminDeps } from '../services/admin-users.js'
import { AuditWriter } from '../services/audit-writer.js'
import { createEmitter } from '../services/security-events.js'
import type { UserRow } from '../db/schema.js'
import { UsageError, type CliIo } from './command.js'
import { withDatabase } from './database.js'

/**
 * Runs an admin command on the configured database as the service's admin
 * API would, actor `cli`. There is no denylist here: the revocations it
 * writes reach running instances through the table and its notification,
 * like any logout. Its audit events are written before the command ends.
 */
export function withAdmin<T>(config: Config, io: CliIo, work: (deps: AdminDeps, db: Db) => Promise<T>): Promise<T> {
  return withDatabase(
    config,
    async (db) => {
      const log = createLogger(config.logLevel, io.stderr as unknown as Parameters<typeof createLogger>[1])
      const audit = config.audit.enabled
        ? new AuditWriter(db, {
            flushIntervalMs: config.audit.flushIntervalMs,
            onError: (error) => io.stderr.write(`keyturn: writing the audit log failed: ${(error as Error).message}\n`),
          })
        : undefined
      const deps: AdminDeps = {
        db,
        config,
        clock: systemClock,
        emit: createEmitter({ clock: systemClock, log, ...(audit ? { audit } : {}) }),
        denylist: { remember: () => {} },
        users: { set: () => {} },
      }
      try {
        return await work(deps, db)
      } finally {
        await audit?.close()
      }
    },
    io,
  )
}

/** The user the command names (an id or a login name), or a clear refusal. */
export async function namedUser(deps: AdminDeps, idOrName: string | undefined): Promise<UserRow> {
  if (idOrName === undefined || idOrName === '') throw new UsageError('name the user: an id, a username or an email')
  const user = await findUserByIdOrName(deps, idOrName)
  if (!user) throw new Error(`no user "${idOrName}"`)
  return user
}
