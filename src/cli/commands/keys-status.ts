import { parseArgs } from 'node:util'
import { configuredKeys } from '../../config/sections/keys.js'
import { findSigningKeys } from '../../db/signing-keys.js'
import { keyStatus, type KeyState, type KeyStatus } from '../../services/key-status.js'
import { withDatabase } from '../database.js'
import type { Command } from '../command.js'

const describe: Record<KeyState, string> = {
  unpublished: 'not published yet: the next start publishes it',
  waiting: 'published, not signing yet',
  signing: 'signing',
  'signing-early': 'SIGNING EARLY: no key has been published for JWKS_MAX_AGE',
  verifying: 'stopped signing; its tokens may still be live',
  removable: 'safe to remove',
  superseded: 'never signs: a newer key signs first; safe to remove',
}

const when = (ms: number | undefined) => (ms === undefined ? '–' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'))

function table(statuses: KeyStatus[]): string {
  const rows = [
    ['kid', 'alg', 'published since', 'signing since', 'signing until', 'safe to remove after', 'state'],
    ...statuses.map((status) => [
      status.kid ?? 'JWT_SECRET',
      status.alg,
      status.kid === undefined ? 'never (not published)' : when(status.publishedAt),
      status.kid === undefined ? 'before the keys' : when(status.signingFrom),
      when(status.signingUntil),
      status.removableAfter === 0 ? 'now' : when(status.removableAfter),
      describe[status.state],
    ]),
  ]
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n')
}

export const keysStatus: Command = {
  name: 'keys status',
  summary: 'list the configured signing keys: published, signing, safe to remove',
  help: `Usage: keyturn keys status

Lists each key of JWT_KEYS (or JWT_KEYS_FILE), newest first, and JWT_SECRET
beside them: its kid and alg, since when it is published (recorded in the
database by the first instance that started with it), when it signs from and
until (a newer key takes over JWKS_MAX_AGE after it was first published), and
when it is safe to remove: ACCESS_TOKEN_TTL + JWT_LEEWAY + JWKS_MAX_AGE after
it stopped signing, when none of its tokens can still be live. Reads the
database (DATABASE_URL or DATA_DIR); changes nothing.`,

  async run(args, { config, io }) {
    parseArgs({ args, options: {} })
    const keys = configuredKeys(config)
    if (keys.length === 0) {
      if (config.jwt.secret === undefined) throw new Error('no signing key is configured: set JWT_KEYS (keyturn keys generate), JWT_KEYS_FILE or JWT_SECRET')
      io.stdout.write('Only JWT_SECRET is configured: HS256 tokens without a kid, and nothing published. Add JWT_KEYS to sign with published keys.\n')
      return 0
    }
    const rows = await withDatabase(config, (db) => findSigningKeys(db, keys.map((key) => key.kid)), io)
    const statuses = keyStatus(config, rows, Date.now())
    io.stdout.write(`${table(statuses)}\n`)
    if (statuses.some((status) => status.state === 'signing-early')) {
      io.stdout.write('\nWarning: no configured key may sign yet; put the previous key back until it is safe to remove.\n')
    }
    return 0
  },
}
