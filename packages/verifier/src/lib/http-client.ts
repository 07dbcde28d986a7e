import http from 'node:http'
import https from 'node:https'
import type { Socket } from 'node:net'

export interface HttpAnswer {
  status: number
  contentType: string | undefined
  body: string
}

export interface GetOptions {
  headers: Record<string, string>
  /** The whole request, answer included, must be over by then. */
  timeoutMs: number
  /** Aborts the request too (jose's own timeout, for the JWKS). */
  signal?: AbortSignal
}

/** The longest body read: a full sync of a very busy keyturn is a few MB. */
const MAX_BODY_BYTES = 32 * 1024 * 1024

/**
 * The verifier's own HTTP connections to keyturn: keep-alive agents that
 * only it uses, so close() can end every request and socket it opened and
 * know they are gone. (fetch's shared pool cannot promise that: an aborted
 * request there leaves a reconnecting socket behind for a while.)
 */
export class HttpClient {
  readonly #agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) }
  /** Each request in flight, with how to end it for a reason of ours. */
  readonly #requests = new Map<http.ClientRequest, (reason: Error) => void>()
  readonly #sockets = new Set<Socket>()
  #closed = false

  /** A GET; rejects on a network failure, a timeout (a TimeoutError), or close() (an AbortError). */
  get(url: URL, options: GetOptions): Promise<HttpAnswer> {
    if (this.#closed) return Promise.reject(abortError())
    const transport = url.protocol === 'https:' ? https : http
    const agent = this.#agents[url.protocol as 'http:' | 'https:']
    return new Promise<HttpAnswer>((resolve, reject) => {
      // Why we ended the request ourselves (timeout, close): that is the
      // error, not the socket's ECONNRESET that follows from it.
      let endedBecause: Error | undefined
      const fail = (error: unknown) => reject(endedBecause ?? (options.signal?.aborted ? options.signal.reason : error))
      const request = transport.get(url, { headers: options.headers, agent, signal: options.signal }, (response) => {
        const chunks: Buffer[] = []
        let bytes = 0
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length
          if (bytes > MAX_BODY_BYTES) end(new Error('the response is too large'))
          else chunks.push(chunk)
        })
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') }),
        )
        response.on('error', fail)
        response.on('close', () => {
          if (!response.complete) fail(new Error('the connection closed before the response ended'))
        })
      })
      const end = (reason: Error) => {
        endedBecause ??= reason
        request.destroy(reason)
      }
      const timer = setTimeout(() => end(timeoutError()), options.timeoutMs)
      this.#requests.set(request, end)
      request.on('socket', (socket) => this.#track(socket))
      request.on('error', fail)
      request.on('close', () => {
        clearTimeout(timer)
        this.#requests.delete(request)
      })
    })
  }

  /** Ends every request and socket, and waits until each socket is really closed. */
  async close(): Promise<void> {
    this.#closed = true
    for (const end of this.#requests.values()) end(abortError())
    for (const agent of Object.values(this.#agents)) agent.destroy()
    await Promise.all(
      [...this.#sockets].map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.closed) return resolve()
            socket.once('close', () => resolve())
            socket.destroy()
          }),
      ),
    )
  }

  #track(socket: Socket): void {
    if (this.#sockets.has(socket)) return
    this.#sockets.add(socket)
    socket.once('close', () => this.#sockets.delete(socket))
  }
}

/** The same GET as a fetch Response, for jose's customFetch. */
export async function fetchVia(client: HttpClient, url: string, init: { headers: Headers; signal: AbortSignal; timeoutMs: number }): Promise<Response> {
  const answer = await client.get(new URL(url), { headers: Object.fromEntries(init.headers), signal: init.signal, timeoutMs: init.timeoutMs })
  const nullBody = answer.status === 204 || answer.status === 304
  return new Response(nullBody ? null : answer.body, {
    status: answer.status,
    headers: answer.contentType ? { 'content-type': answer.contentType } : {},
  })
}

const timeoutError = () => new DOMException('keyturn did not answer in time', 'TimeoutError')
const abortError = () => new DOMException('the verifier was closed', 'AbortError')
