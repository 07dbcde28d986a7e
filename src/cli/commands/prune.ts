import { parseArgs } from 'node:util'
import { prune as pruneExpired } from '../../services/prune.js'
import { withDatabase } from '../database.js'
import type { Command } from '../command.js'

export const prune: Command = {
  name: 'prune',
  summary: 'delete expired denylist entries, refresh and reset tokens, and sessions',
  help: `Usage: keyturn prune

Deletes what can no longer matter: denylist entries whose tokens have expired,
expired refresh tokens and password reset tokens, sessions that are over, and
failed-login counts already forgotten (LOGIN_SLOWDOWN_RESET), and audit
events older than AUDIT_RETENTION (90d).
Prints what it deleted.
The service also prunes by itself every PRUNE_INTERVAL (default 1h).`,

  async run(args, { config, io }) {
    parseArgs({ args, options: {} })
    const counts = await withDatabase(config, (db) => pruneExpired(db, new Date(), config))
    for (const [table, count] of Object.entries(counts)) io.stdout.write(`${table}: ${count} deleted\n`)
    return 0
  },
}
