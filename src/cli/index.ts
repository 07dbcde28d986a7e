#!/usr/bin/env node
import { ConfigError, loadConfig } from '../config.js'
import { UsageError, type CliIo, type Command } from './command.js'
import { createUserCommand } from './commands/create-user.js'
import { importDjangoCommand } from './commands/import-django.js'
import { keysGenerate } from './commands/keys-generate.js'
import { keysStatus } from './commands/keys-status.js'
import { migrate } from './commands/migrate.js'
import { prune } from './commands/prune.js'
import { sessionsEnd } from './commands/sessions-end.js'
import { usersActivate, usersDeactivate, usersDelete, usersList } from './commands/users.js'

const commands: Command[] = [
  migrate,
  prune,
  createUserCommand,
  importDjangoCommand,
  keysGenerate,
  keysStatus,
  usersList,
  usersDeactivate,
  usersActivate,
  usersDelete,
  sessionsEnd,
]

function overview(): string {
  const width = Math.max(...commands.map((command) => command.name.length))
  return [
    'Usage: keyturn <command> [options]',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Run keyturn <command> --help for a command. Configuration comes from the',
    'environment, as for the service (DATABASE_URL, DATA_DIR, ...).',
  ].join('\n')
}

/** The command argv names (a name may be two words, as `keys generate`), and the arguments after it. */
function findCommand(argv: string[]): { command: Command | undefined; args: string[] } {
  for (const command of commands) {
    const words = command.name.split(' ')
    if (words.every((word, index) => argv[index] === word)) return { command, args: argv.slice(words.length) }
  }
  return { command: undefined, args: [] }
}

/** `keyturn bogus`, or a group without its command: `keyturn keys`, `keyturn keys --help`, `keyturn keys bogus`. */
function unknownCommand([name, sub]: string[], io: CliIo): number {
  const group = commands.filter((candidate) => candidate.name.startsWith(`${name} `))
  if (group.length === 0) {
    io.stderr.write(`keyturn: unknown command "${name}"\n\n${overview()}\n`)
    return 2
  }
  const width = Math.max(...group.map((candidate) => candidate.name.length))
  const listing = [
    `Usage: keyturn ${name} <${group.map((candidate) => candidate.name.split(' ')[1]).join(' | ')}> [options]`,
    '',
    ...group.map((candidate) => `  keyturn ${candidate.name.padEnd(width)}  ${candidate.summary}`),
  ].join('\n')
  if (sub === '--help' || sub === '-h') {
    io.stdout.write(`${listing}\n`)
    return 0
  }
  io.stderr.write(`${sub === undefined ? '' : `keyturn: unknown command "${name} ${sub}"\n\n`}${listing}\n`)
  return 2
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${overview()}\n`)
    return name === undefined ? 2 : 0
  }
  const { command, args } = findCommand(argv)
  if (!command) return unknownCommand(argv, io)
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(`${command.help}\n`)
    return 0
  }
  try {
    const does = command.does ?? []
    const config = loadConfig(process.env, { signs: does.includes('signing'), scopes: does })
    return await command.run(args, { config, io })
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`keyturn ${command.name}: ${(error as Error).message}\n\n${command.help}\n`)
      return 2
    }
    io.stderr.write(`keyturn ${command.name}: ${error instanceof ConfigError ? error.message : (error as Error).message}\n`)
    return 1
  }
}

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }).then(
  (code) => {
    process.exitCode = code
  },
)
