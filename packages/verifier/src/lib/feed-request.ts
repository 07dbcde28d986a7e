import type { HttpClient, HttpAnswer } from './http-client.js'
import type { Revocation } from './revocation-set.js'

/** One answer of `GET /v1/auth/revocations`. */
export interface FeedAnswer {
  cursor: string
  /** The answer is the complete live set (first sync, or a cursor keyturn could not continue). */
  full: boolean
  revocations: Revocation[]
}

/** Why a feed request failed; the message never holds the feed token. */
export class FeedError extends Error {
  override readonly name = 'FeedError'
  readonly status: number | undefined
  /** keyturn's problem code, when it answered with one. */
  readonly code: string | undefined

  constructor(message: string, options: { status?: number; code?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.status = options.status
    this.code = options.code
  }

  /** keyturn refused this verifier (feed token, feed off): retrying will not help until someone fixes the configuration. */
  get refused(): boolean {
    return this.status === 401 || this.status === 403 || this.status === 404
  }
}

export interface FeedRequest {
  client: HttpClient
  url: URL
  token: string
  /** The cursor of the last answer; absent for a full sync. */
  after?: string
  /** Seconds keyturn may hold the request waiting for news (with `after` only). */
  wait?: number
  timeoutMs: number
}

export async function requestFeed(request: FeedRequest): Promise<FeedAnswer> {
  const url = new URL(request.url)
  if (request.after !== undefined) {
    url.searchParams.set('after', request.after)
    url.searchParams.set('wait', String(request.wait ?? 0))
  }
  let response: HttpAnswer
  try {
    response = await request.client.get(url, {
      headers: { authorization: `Bearer ${request.token}`, accept: 'application/json' },
      timeoutMs: request.timeoutMs,
    })
  } catch (error) {
    throw new FeedError(describeFailure(error), { cause: error })
  }
  if (response.status !== 200) {
    const code = problemCode(response.body)
    throw new FeedError(`the revocation feed answered ${response.status}${code ? ` ${code}` : ''}`, {
      status: response.status,
      code,
    })
  }
  let body: unknown
  try {
    body = JSON.parse(response.body)
  } catch (error) {
    throw new FeedError('the revocation feed answered with unreadable JSON', { cause: error })
  }
  return parseAnswer(body)
}

function parseAnswer(body: unknown): FeedAnswer {
  const answer = body as Partial<FeedAnswer> | null
  if (
    typeof answer !== 'object' ||
    answer === null ||
    typeof answer.cursor !== 'string' ||
    answer.cursor === '' ||
    typeof answer.full !== 'boolean' ||
    !Array.isArray(answer.revocations) ||
    !answer.revocations.every(isRevocation)
  ) {
    // Applying part of a malformed answer could forget a revocation: take none of it.
    throw new FeedError('the revocation feed answered with an unexpected shape')
  }
  return { cursor: answer.cursor, full: answer.full, revocations: answer.revocations }
}

function isRevocation(entry: unknown): entry is Revocation {
  const { sid, exp } = (entry ?? {}) as Partial<Revocation>
  return typeof sid === 'string' && sid !== '' && typeof exp === 'number' && Number.isFinite(exp)
}

/** keyturn's problem `code`, if the body is one; read only as a short snake_case word. */
function problemCode(body: string): string | undefined {
  try {
    const { code } = JSON.parse(body) as { code?: unknown }
    return typeof code === 'string' && /^[a-z_]{1,64}$/.test(code) ? code : undefined
  } catch {
    return undefined
  }
}

function describeFailure(error: unknown): string {
  const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown }
  if (name === 'TimeoutError') return 'the revocation feed did not answer in time'
  if (name === 'AbortError') return 'the revocation feed request was aborted'
  return `the revocation feed could not be reached${typeof code === 'string' ? ` (${code})` : ''}`
}
