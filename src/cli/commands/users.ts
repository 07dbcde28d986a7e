import { parseArgs } from 'node:util'
import { activateUser, deactivateUser, deleteUser, listUsers } from '../../services/admin-users.js'
import { namedUser, withAdmin } from '../admin.js'
import { UsageError, type Command } from '../command.js'

const CLI = { actor: 'cli' } as const
/** How the CLI names an account: its username, or its email under LOGIN_FIELDS=email. */
const shownName = (user: { username: string | null; email: string | null }) => user.username ?? user.email ?? 'an account without a name'

const ACCEPTS = `The user is an id, a username or an email (an id is tried first).`

export const usersList: Command = {
  name: 'users list',
  summary: 'list users, or those whose username or email starts with --query',
  help: `Usage: keyturn users list [--query PREFIX] [--limit N]

Prints id, username, email, staff, active and live sessions, in id order.
  --query PREFIX   only users whose username or email starts with PREFIX (any case)
  --limit N        at most N users (default 1000)`,

  async run(args, { config, io }) {
    const { values } = parseArgs({ args, options: { query: { type: 'string' }, limit: { type: 'string', default: '1000' } } })
    const limit = Number(values.limit)
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive whole number')
    const page = await withAdmin(config, io, (deps) => listUsers(deps, { ...(values.query ? { query: values.query } : {}), limit }))
    const rows = [
      ['id', 'username', 'email', 'staff', 'active', 'sessions'],
      ...page.users.map(({ user, is_active, live_sessions }) => [
        String(user.id),
        user.username ?? '–',
        user.email ?? '–',
        user.is_staff ? 'yes' : 'no',
        is_active ? 'yes' : 'no',
        String(live_sessions),
      ]),
    ]
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
    io.stdout.write(`${rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n')}\n`)
    if (page.next_cursor !== null) io.stdout.write(`(more than ${limit}; narrow with --query or raise --limit)\n`)
    return 0
  },
}

export const usersDeactivate: Command = {
  name: 'users deactivate',
  summary: 'deactivate a user and end every session at once',
  help: `Usage: keyturn users deactivate USER

Deactivates the user and, in the same transaction, ends every session: running
instances refuse the user's access tokens as soon as they hear of it (at once
by notification, at the latest after DENYLIST_SYNC_INTERVAL), and so do
verifiers following the revocation feed. Refresh and login fail.
The last active staff user cannot be deactivated. ${ACCEPTS}`,

  async run(args, { config, io }) {
    const { positionals } = parseArgs({ args, options: {}, allowPositionals: true })
    const done = await withAdmin(config, io, async (deps) => deactivateUser(deps, CLI, (await namedUser(deps, one(positionals))).id))
    io.stdout.write(`Deactivated ${shownName(done.user)} (id ${done.user.id}); every session has ended\n`)
    return 0
  },
}

export const usersActivate: Command = {
  name: 'users activate',
  summary: 'activate a deactivated user',
  help: `Usage: keyturn users activate USER

Lets a deactivated user sign in again (their old sessions stay ended). ${ACCEPTS}`,

  async run(args, { config, io }) {
    const { positionals } = parseArgs({ args, options: {}, allowPositionals: true })
    const done = await withAdmin(config, io, async (deps) => activateUser(deps, CLI, (await namedUser(deps, one(positionals))).id))
    io.stdout.write(`Activated ${shownName(done.user)} (id ${done.user.id})\n`)
    return 0
  },
}

export const usersDelete: Command = {
  name: 'users delete',
  summary: 'delete a user: every session ends, then the account is gone',
  help: `Usage: keyturn users delete USER

Ends every session as a deactivation does, then deletes the user, their
sessions, tokens and reset links in the same transaction. The audit log keeps
their events under the id only. The last active staff user cannot be deleted.
${ACCEPTS}`,

  async run(args, { config, io }) {
    const { positionals } = parseArgs({ args, options: {}, allowPositionals: true })
    const user = await withAdmin(config, io, async (deps) => {
      const found = await namedUser(deps, one(positionals))
      await deleteUser(deps, CLI, found.id)
      return found
    })
    io.stdout.write(`Deleted ${shownName(user)} (id ${user.id})\n`)
    return 0
  },
}

/** The one positional argument a command takes. */
export function one(positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'name the user: an id, a username or an email' : 'name one user')
  return positionals[0]!
}
