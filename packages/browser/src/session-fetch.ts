import { AuthError, problemCode } from './errors.js'
import type { SharedSession } from './tab-channel.js'

/** Refresh this long before the expiry this tab computed, so a token never leaves already expired. */
const expirySkewMs = 1000

export interface SessionFetchDeps {
  send: typeof fetch
  /** Origins the access token may go to; the page's own is added. */
  allowedOrigins: string[]
  current(): SharedSession | null
  canRefresh(): boolean
  /** The shared refresh (see client.ts): new session, null when signed out. */
  renew(stale: string | null): Promise<SharedSession | null>
  /** keyturn says the session is over (token_revoked). */
  ended(): Promise<void>
}

/**
 * fetch with the access token: refreshed first when (nearly) expired, and on a
 * 401 `token_expired` / `token_invalid` (a tab whose timers slept, a clock
 * that runs slow) refreshed once and the request sent once more. Signed out,
 * the request goes without the header. The token goes only to allowed origins.
 */
export function createSessionFetch(deps: SessionFetchDeps): (input: RequestInfo | URL, init?: RequestInit) => Promise<Response> {
  const pageOrigin = globalThis.location?.origin
  const allowed = new Set([...deps.allowedOrigins, ...(pageOrigin && pageOrigin !== 'null' ? [pageOrigin] : [])])

  async function tokenForRequest(): Promise<string | null> {
    const session = deps.current()
    if (!session) return null
    if (Date.now() < session.expiresAt - expirySkewMs || !deps.canRefresh()) return session.accessToken
    try {
      return (await deps.renew(session.accessToken))?.accessToken ?? null
    } catch {
      // Could not refresh now (offline, keyturn down): try the current token; the server decides.
      return deps.current()?.accessToken ?? null
    }
  }

  function attempt(request: Request, token: string | null): Promise<Response> {
    const copy = new Request(request.clone())
    if (token) copy.headers.set('authorization', `Bearer ${token}`)
    return deps.send(copy)
  }

  return async (input, init) => {
    const request = new Request(input, init)
    const origin = new URL(request.url).origin
    if (!allowed.has(origin)) {
      throw new AuthError(0, 'origin_not_allowed', `client.fetch does not send the access token to ${origin}; list it in tokenOrigins`)
    }
    const token = await tokenForRequest()
    const response = await attempt(request, token)
    if (response.status !== 401 || token === null) return response

    const code = await problemCode(response)
    if (code === 'token_revoked') {
      if (deps.current()?.accessToken === token) await deps.ended()
      return response
    }
    if ((code !== 'token_expired' && code !== 'token_invalid') || !deps.canRefresh()) return response
    let renewed: SharedSession | null
    try {
      renewed = await deps.renew(token)
    } catch {
      return response
    }
    if (!renewed) return response
    await response.body?.cancel().catch(() => undefined)
    return attempt(request, renewed.accessToken)
  }
}
