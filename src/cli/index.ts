#!/usr/bin/env node
import { ConfigError, loadConfig } from '../config.js'
import { UsageError, type CliIo, type Command } from './command.js'
import { createUserCommand } from './commands/create-user.js'
import { importDjangoCommand } from './commands/import-django.js'
import { migrate } from './commands/migrate.js'
import { prune } from './commands/prune.js'

const commands: Command[] = [migrate, prune, createUserCommand, importDjangoCommand]

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

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${overview()}\n`)
    return name === undefined ? 2 : 0
  }
  const command = commands.find((candidate) => candidate.name === name)
  if (!command) {
    io.stderr.write(`keyturn: unknown command "${name}"\n\n${overview()}\n`)
    return 2
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(`${command.help}\n`)
    return 0
  }
  try {
    return await command.run(args, { config: loadConfig(), io })
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`keyturn ${name}: ${(error as Error).message}\n\n${command.help}\n`)
      return 2
    }
    io.stderr.write(`keyturn ${name}: ${error instanceof ConfigError ? error.message : (error as Error).message}\n`)
    return 1
  }
}

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }).then(
  (code) => {
    process.exitCode = code
  },
)
