import type { Config } from '../config.js'
import type { ProductionScope } from '../config/variable.js'

export interface CliIo {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  stdin: NodeJS.ReadableStream & { isTTY?: boolean }
}

export interface Command {
  name: string
  summary: string
  /** Full --help text. */
  help: string
  /**
   * What it does that production guards (signing tokens, sending mails); none
   * by default. Production then refuses only what this command would get
   * wrong: `keyturn migrate` needs no JWT_SECRET and no MAIL_TRANSPORT.
   */
  does?: readonly ProductionScope[]
  /** Resolves to the exit code. Throw UsageError for bad arguments. */
  run(args: string[], context: { config: Config; io: CliIo }): Promise<number>
}

/** Bad arguments: printed with the command's help, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}
