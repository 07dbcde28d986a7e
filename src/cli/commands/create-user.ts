import readline from 'node:readline'
import { Writable } from 'node:stream'
import { parseArgs } from 'node:util'
import { createPasswordHasher } from '../../crypto/passwords.js'
import type { Db } from '../../db/create-db.js'
import { findUserIdByLoginName } from '../../db/login-names.js'
import { ProblemError } from '../../errors.js'
import { createUser, emailProblem, usernameProblem } from '../../services/create-user.js'
import { normalizeEmail, normalizeUsername } from '../../services/normalize.js'
import { assertAcceptablePassword, type PasswordPolicy } from '../../services/password-policy.js'
import { UsageError, type CliIo, type Command } from '../command.js'
import { withDatabase } from '../database.js'

const PASSWORD_ATTEMPTS = 3

export const createUserCommand: Command = {
  name: 'create-user',
  summary: 'create a user (like Django\'s createsuperuser)',
  help: `Usage: keyturn create-user [options]

  --username NAME     the username (asked for when missing, on a terminal)
  --email ADDRESS     the email address (optional)
  --first-name TEXT   --last-name TEXT
  --staff             make the user staff (is_staff in their tokens)
  --password-stdin    read the password from the first line of stdin

The password is never taken from the command line, where other users of the
machine and the shell history could read it. On a terminal it is asked for
twice, without echo; otherwise pass --password-stdin, for example:

  printf '%s\\n' "$PASSWORD" | keyturn create-user --username admin --staff --password-stdin

The password policy (PASSWORD_MIN_LENGTH, ...) applies, as it does to sign-ups.`,

  async run(args, { config, io }) {
    const { values } = parseArgs({
      args,
      options: {
        username: { type: 'string' },
        email: { type: 'string' },
        'first-name': { type: 'string' },
        'last-name': { type: 'string' },
        staff: { type: 'boolean', default: false },
        'password-stdin': { type: 'boolean', default: false },
      },
    })
    const prompting = !values['password-stdin']
    if (prompting && !io.stdin.isTTY) {
      throw new UsageError('stdin is not a terminal: pipe the password in and pass --password-stdin')
    }
    if (!prompting && values.username === undefined) throw new UsageError('--password-stdin needs --username')
    const password = prompting ? undefined : await readFirstLine(io.stdin)
    if (password === '') throw new UsageError('--password-stdin: stdin has no password on its first line')

    try {
      return await withDatabase(config, async (db) => {
        const ask = prompting ? createPrompter(io) : undefined
        try {
          const username = await settle('username', values.username, ask, 'Username: ', (name) => checkUsername(db, name))
          const email = await settle('email', values.email, ask, 'Email address (optional): ', async (value) =>
            emailProblem(value),
          )
          const names = { username: normalizeUsername(username), email: normalizeEmail(email) }
          const user = await createUser(
            { db, passwords: createPasswordHasher(config.argon2), policy: config.passwordPolicy },
            {
              username,
              email,
              password: password ?? (await askPassword(ask!, config.passwordPolicy, names)),
              first_name: values['first-name'] ?? '',
              last_name: values['last-name'] ?? '',
              is_staff: values.staff,
            },
          )
          io.stdout.write(`Created user ${user.username} (id ${user.id})\n`)
          return 0
        } finally {
          ask?.close()
        }
      })
    } catch (error) {
      if (!(error instanceof ProblemError)) throw error
      io.stderr.write(`keyturn create-user: ${describe(error)}\n`)
      return 1
    }
  },
}

/** "password: must be at least 8 characters (password_too_short)": what was wrong and the rule's code. */
function describe(error: ProblemError): string {
  return `${(error.detail ?? error.title).replace(/\.$/, '')} (${error.errors?.[0]?.code ?? error.code})`
}

async function checkUsername(db: Db, raw: string): Promise<string | undefined> {
  const name = normalizeUsername(raw)
  return usernameProblem(name) ?? ((await findUserIdByLoginName(db, name)) === undefined ? undefined : 'is already taken')
}

/**
 * A value from its flag or, on a terminal, from a
 * prompt asked again until the answer passes: Django's createsuperuser does
 * the same, so a typo does not cost the whole dialogue.
 */
async function settle(
  field: string,
  given: string | undefined,
  ask: Prompter | undefined,
  question: string,
  check: (value: string) => Promise<string | undefined>,
): Promise<string> {
  if (given !== undefined || !ask) {
    // Checked here only before a dialogue; otherwise createUser's checks say it.
    const problemText = ask && given !== undefined ? await check(given) : undefined
    if (problemText) throw new Error(`--${field} ${problemText}`)
    return given ?? ''
  }
  for (;;) {
    const answer = (await ask.question(question)).trim()
    const problemText = await check(answer)
    if (!problemText) return answer
    ask.say(`Error: ${field} ${problemText}.`)
  }
}

async function askPassword(
  ask: Prompter,
  policy: PasswordPolicy,
  owner: { username: string; email: string | null },
): Promise<string> {
  for (let attempt = 1; attempt <= PASSWORD_ATTEMPTS; attempt++) {
    const password = await ask.hidden('Password: ')
    if (password !== (await ask.hidden('Password (again): '))) {
      ask.say('Error: the two passwords differ.')
      continue
    }
    try {
      assertAcceptablePassword(policy, password, owner, 'password')
      return password
    } catch (error) {
      if (!(error instanceof ProblemError)) throw error
      ask.say(`Error: ${describe(error)}.`)
    }
  }
  throw new Error(`no acceptable password after ${PASSWORD_ATTEMPTS} attempts`)
}

/** The first line of a piped stdin, without its line ending. */
async function readFirstLine(stdin: CliIo['stdin']): Promise<string> {
  stdin.setEncoding('utf8')
  let text = ''
  for await (const chunk of stdin) {
    text += chunk as string
    const end = text.indexOf('\n')
    if (end >= 0) return text.slice(0, end).replace(/\r$/, '')
    // The policy caps passwords far below this; no need to read a whole file.
    if (text.length > 65_536) break
  }
  return text.replace(/\r$/, '')
}

interface Prompter {
  question(text: string): Promise<string>
  /** Asks without echoing what is typed. */
  hidden(text: string): Promise<string>
  say(line: string): void
  close(): void
}

/** Prompts on stderr, so stdout carries only the result. Ctrl-C or Ctrl-D ends the command. */
function createPrompter(io: CliIo): Prompter {
  let muted = false
  // readline echoes what is typed to its output; a hidden answer mutes that echo.
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) io.stderr.write(chunk)
      done()
    },
  })
  const rl = readline.createInterface({ input: io.stdin, output, terminal: true })
  let cancel: ((error: Error) => void) | undefined
  rl.on('SIGINT', () => rl.close())
  rl.on('close', () => cancel?.(new Error('cancelled')))
  const question = (text: string) =>
    new Promise<string>((resolve, reject) => {
      cancel = reject
      rl.question(text, resolve)
    })
  return {
    question,
    async hidden(text) {
      io.stderr.write(text)
      muted = true
      try {
        return await question('')
      } finally {
        muted = false
        io.stderr.write('\n')
      }
    },
    say: (line) => io.stderr.write(`${line}\n`),
    close: () => {
      cancel = undefined
      rl.close()
    },
  }
}
