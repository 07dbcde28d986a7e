// Classifies database errors by SQLSTATE; the same codes come from pg and PGlite.

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (sqlState(error) !== '23505') return false
  return constraint === undefined || (error as { constraint?: string }).constraint === constraint
}

/** Deadlocks and serialization failures: the transaction did nothing and may be run again. */
export function isRetryableTransactionError(error: unknown): boolean {
  const state = sqlState(error)
  return state === '40001' || state === '40P01'
}

const connectionErrnos = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'])
const connectionMessages =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end|Query read timeout/i

/** The database could not be reached or went away: the client may retry later (503), it did nothing wrong. */
export function isUnavailableError(error: unknown): boolean {
  const state = sqlState(error)
  // 08: connection exception; 57P0x: server shutting down or starting; 53300: too many connections.
  if (state?.startsWith('08') || state?.startsWith('57P') || state === '53300') return true
  if (state !== undefined && connectionErrnos.has(state)) return true
  return connectionMessages.test((error as Error | null)?.message ?? '')
}

/** Text Postgres cannot store (a NUL character, a byte sequence invalid in UTF-8): the client's input is at fault. */
export function isUnstorableText(error: unknown): boolean {
  const state = sqlState(error)
  return state === '22021' || state === '22P05'
}
