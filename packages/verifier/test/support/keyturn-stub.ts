// A small real HTTP server that speaks keyturn's side of the wire contract
// the verifier consumes: the JWKS and the revocation feed (full sync, long
// poll from a cursor, resync when the cursor cannot be continued, problem+json
// errors). Tests push entries into it, make it fail or hang, and count what
// it was asked. It stands in for keyturn until tests run against the real one.
import { createHash } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { JWK } from 'jose'

export interface Revocation {
  sid: string
  exp: number
}

/** How the feed answers: normally, 503 unavailable, or by holding every request until told otherwise. */
export type FeedMode = 'ok' | 'fail' | 'hang'

export interface FeedRequestSeen {
  at: number
  after: string | null
  wait: string | null
  authorization: string | undefined
}

export interface KeyturnStub {
  url: string
  jwksUrl: string
  feedUrl: string
  feedToken: string
  /** The public JWKs served at /.well-known/jwks.json; change it to rotate. */
  jwks: { keys: JWK[] }
  jwksStatus: number
  jwksRequests: number
  feedMode: FeedMode
  /** Answers the next feed request with this problem status (once). */
  failNextWith: number | undefined
  feedRequests: FeedRequestSeen[]
  /** Commits entries, as a logout would, and wakes the held long polls. */
  push(...entries: Revocation[]): void
  /** Replaces the log, as a restored database would: every cursor handed out so far is now from the future. */
  restore(entries: Revocation[]): void
  setFeedMode(mode: FeedMode): void
  /** Resolves when the feed has been asked `count` times in total. */
  feedRequested(count: number): Promise<void>
  close(): Promise<void>
}

const PROBLEM_TITLES: Record<number, [string, string]> = {
  400: ['validation_failed', 'The request is not valid.'],
  401: ['token_invalid', 'The token is not valid.'],
  503: ['unavailable', 'The service is temporarily unavailable.'],
}

export async function startKeyturnStub(options: { feedToken?: string; feed?: boolean } = {}): Promise<KeyturnStub> {
  let log: Revocation[] = []
  // Cursor n means "the first n entries of the log", so after restore() every
  // cursor past the new log's length is from the future.
  const held = new Set<() => void>()
  const requestWaiters: Array<{ count: number; resolve: () => void }> = []
  const wake = () => {
    for (const resume of [...held]) resume()
  }

  const stub: KeyturnStub = {
    url: '',
    jwksUrl: '',
    feedUrl: '',
    feedToken: options.feedToken ?? 'feed-token-for-tests',
    jwks: { keys: [] },
    jwksStatus: 200,
    jwksRequests: 0,
    feedMode: 'ok',
    failNextWith: undefined,
    feedRequests: [],
    push(...entries) {
      log = [...log, ...entries]
      wake()
    },
    restore(entries) {
      log = [...entries]
      wake()
    },
    setFeedMode(mode) {
      stub.feedMode = mode
      wake()
    },
    feedRequested(count) {
      if (stub.feedRequests.length >= count) return Promise.resolve()
      return new Promise((resolve) => requestWaiters.push({ count, resolve }))
    },
    async close() {
      wake()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }

  function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
  }

  function sendProblem(res: http.ServerResponse, status: number, detail?: string) {
    const [code, title] = PROBLEM_TITLES[status] ?? ['not_found', 'Not found.']
    res
      .writeHead(status, { 'content-type': 'application/problem+json', ...(status === 503 ? { 'retry-after': '1' } : {}) })
      .end(JSON.stringify({ type: `urn:keyturn:problem:${code}`, title, status, detail: detail ?? title, code }))
  }

  function serveJwks(res: http.ServerResponse) {
    stub.jwksRequests += 1
    if (stub.jwksStatus !== 200) return sendProblem(res, stub.jwksStatus)
    const body = JSON.stringify(stub.jwks)
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=600', etag }).end(body)
  }

  function serveFeed(req: http.IncomingMessage, res: http.ServerResponse, query: URLSearchParams) {
    const seen = { at: performance.now(), after: query.get('after'), wait: query.get('wait'), authorization: req.headers.authorization }
    stub.feedRequests.push(seen)
    for (const waiter of requestWaiters.filter((w) => stub.feedRequests.length >= w.count)) {
      requestWaiters.splice(requestWaiters.indexOf(waiter), 1)
      waiter.resolve()
    }
    if (options.feed === false) return sendProblem(res, 404)
    if (stub.failNextWith !== undefined) {
      const status = stub.failNextWith
      stub.failNextWith = undefined
      return sendProblem(res, status)
    }
    if (req.headers.authorization !== `Bearer ${stub.feedToken}`) return sendProblem(res, 401)
    const after = seen.after
    const wait = seen.wait === null ? 0 : Number(seen.wait)
    if ((after !== null && !/^\d+$/.test(after)) || !Number.isInteger(wait) || wait < 0 || wait > 30) {
      return sendProblem(res, 400)
    }

    const answer = () => {
      if (stub.feedMode === 'fail') return sendProblem(res, 503)
      const cursor = after === null ? NaN : Number(after)
      // No cursor, or one from the future (a restored database): the whole live set, to replace.
      if (!(cursor <= log.length)) return sendJson(res, 200, { cursor: String(log.length), full: true, revocations: log })
      return sendJson(res, 200, { cursor: String(log.length), full: false, revocations: log.slice(cursor) })
    }
    const isNews = () => after === null || Number(after) !== log.length
    if (stub.feedMode === 'fail' || (stub.feedMode === 'ok' && (isNews() || wait === 0))) return answer()

    // Long poll: hold until news, a mode change, the end of the wait, or the client leaving.
    const timer = stub.feedMode === 'hang' ? undefined : setTimeout(() => resume(), wait * 1000)
    const resume = () => {
      // While hanging, only a change of mode (or close) lets a held request go.
      if (stub.feedMode === 'hang') return
      clearTimeout(timer)
      held.delete(resume)
      if (!res.destroyed) answer()
    }
    held.add(resume)
    res.on('close', () => {
      clearTimeout(timer)
      held.delete(resume)
    })
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stub')
    if (req.method === 'GET' && url.pathname === '/.well-known/jwks.json') return serveJwks(res)
    if (req.method === 'GET' && url.pathname === '/v1/auth/revocations') return serveFeed(req, res, url.searchParams)
    sendProblem(res, 404)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  stub.url = `http://127.0.0.1:${port}`
  stub.jwksUrl = `${stub.url}/.well-known/jwks.json`
  stub.feedUrl = `${stub.url}/v1/auth/revocations`
  return stub
}
