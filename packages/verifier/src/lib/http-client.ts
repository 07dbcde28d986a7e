import http from 'node:http'
import https from 'node:https'
import type { Socket } from 'node:net'

export interface HttpAnswer {
  status: number
  contentType: string | undefined
  body: string
}

/** The longest body read: a full sync of a very busy keyturn is a few MB. */
const MAX_BODY_BYTES = 32 * 1024 * 1024

/**
 * The verifier's own HTTP connections to keyturn: keep-alive agents that
 * only it uses, so close() can end every socket it opened and know they are
 * gone. (fetch's shared pool cannot promise that: an aborted request there
 * leaves a reconnecting socket behind for a while.)
 */
export class HttpClient {
  readonly #agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) }
  readonly #sockets = new Set<Socket>()
  #closed = false

  /** A GET; rejects on a network failure, or with `signal`'s reason when it aborts (timeout or close). */
  get(url: URL, options: { headers: Record<string, string>; signal: AbortSignal }): Promise<HttpAnswer> {
    if (this.#closed) return Promise.reject(new Error('the HTTP client is closed'))
    const transport = url.protocol === 'https:' ? https : http
    const agent = this.#agents[url.protocol as 'http:' | 'https:']
    return new Promise((resolve, reject) => {
      const request = transport.get(url, { headers: options.headers, agent, signal: options.signal }, (response) => {
        const chunks: Buffer[] = []
        let bytes = 0
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length
          if (bytes > MAX_BODY_BYTES) request.destroy(new Error('the response is too large'))
          else chunks.push(chunk)
        })
        response.on('end', () => {
          resolve({
            status: response.statusCode ?? 0,
            contentType: response.headers['content-type'],
            body: Buffer.concat(chunks).toString('utf8'),
          })
        })
        const fail = (error: unknown) => reject(options.signal.aborted ? options.signal.reason : error)
        response.on('error', fail)
        response.on('close', () => {
          if (!response.complete) fail(new Error('the connection closed before the response ended'))
        })
      })
      request.on('error', (error) => reject(options.signal.aborted ? options.signal.reason : error))
      request.on('socket', (socket) => this.#track(socket))
    })
  }

  /** Ends every socket and waits until each one is really closed. */
  async close(): Promise<void> {
    this.#closed = true
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
export async function fetchVia(client: HttpClient, url: string, init: { headers: Headers; signal: AbortSignal }): Promise<Response> {
  const answer = await client.get(new URL(url), { headers: Object.fromEntries(init.headers), signal: init.signal })
  const nullBody = answer.status === 204 || answer.status === 304
  return new Response(nullBody ? null : answer.body, {
    status: answer.status,
    headers: answer.contentType ? { 'content-type': answer.contentType } : {},
  })
}
