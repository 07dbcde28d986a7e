import { parseArgs } from 'node:util'
import { endUserSessions } from '../../services/admin-users.js'
import { namedUser, withAdmin } from '../admin.js'
import type { Command } from '../command.js'
import { one } from './users.js'

export const sessionsEnd: Command = {
  name: 'sessions end',
  summary: "end a user's sessions (all, or --session ID)",
  help: `Usage: keyturn sessions end USER [--session ID]

Ends every session of the user, or only the one with that id (the sid of its
tokens). Running instances refuse their access tokens as after a logout; the
user stays active and can sign in again. The user is an id, a username or an
email.`,

  async run(args, { config, io }) {
    const { values, positionals } = parseArgs({ args, options: { session: { type: 'string' } }, allowPositionals: true })
    const user = await withAdmin(config, io, async (deps) => {
      const found = await namedUser(deps, one(positionals))
      await endUserSessions(deps, { actor: 'cli' }, found.id, values.session)
      return found
    })
    io.stdout.write(`Ended ${values.session === undefined ? 'every session' : `session ${values.session}`} of ${user.username} (id ${user.id})\n`)
    return 0
  },
}
