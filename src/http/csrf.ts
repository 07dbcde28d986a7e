import type { FastifyRequest } from 'fastify'
import type { Config } from '../config.js'
import { problem } from '../errors.js'
import type { RefreshCookie } from './refresh-cookie.js'

/**
 * The checks a request must pass when the refresh cookie is what
 * authenticates it (a refresh, a logout without a Bearer token). SameSite
 * alone does not do: a sibling subdomain is "same-site", and Lax lets
 * top-level navigations through. So:
 *
 * - `Sec-Fetch-Site: cross-site` is refused (but from CORS_ORIGINS when the
 *   cookie is SameSite=None, which is meant for a page on another site);
 * - the `Origin` (or, failing that, the `Referer`) must be keyturn's own
 *   origin or one of CORS_ORIGINS; a request with neither is refused;
 * - it must not be a CORS "simple" request: a JSON body
 *   (`Content-Type: application/json`) or a header a form cannot send
 *   (`Authorization`, `X-Requested-With`). A browser then asks the preflight
 *   first, which only CORS_ORIGINS pass.
 *
 * It runs on headers only, before the body is read: a refused request changes
 * nothing (no rotation, no Set-Cookie).
 */
export function createCsrfCheck(config: Config, cookie: RefreshCookie) {
  const allowed = new Set(config.browser.corsOrigins)
  const ownOrigin = config.http.publicUrl ? new URL(config.http.publicUrl).origin : undefined
  // SameSite=None exists for pages on another site: from the origins listed, and only those, cross-site is the point.
  const crossSiteAllowed = config.browser.cookieSameSite === 'none'

  /** `bearerAccepted`: the operation also takes an access token, which, when sent, is what authenticates. */
  return ({ bearerAccepted }: { bearerAccepted: boolean }) => async function checkCsrf(request: FastifyRequest): Promise<void> {
    if (!cookie.presented(request)) return
    // A Bearer token is no ambient credential: then the cookie is not what authenticates the request.
    if (bearerAccepted && request.headers.authorization !== undefined) return
    const refuse = (detail: string) => problem('csrf_failed', { detail })

    const origin = originOf(request)
    if (request.headers['sec-fetch-site'] === 'cross-site' && !(crossSiteAllowed && origin !== undefined && allowed.has(origin))) {
      throw refuse('The browser says this request comes from another site.')
    }
    if (origin === undefined) throw refuse('A request authenticated by the refresh cookie must say where it comes from (Origin or Referer).')
    const own = ownOrigin ?? `${request.protocol}://${request.host}`
    if (origin !== own && !allowed.has(origin)) throw refuse(`${origin} is not allowed to use the refresh cookie (CORS_ORIGINS).`)
    if (isSimpleRequest(request)) {
      throw refuse('A request authenticated by the refresh cookie must send a JSON body (Content-Type: application/json).')
    }
  }
}

/** The origin the browser says the request comes from; `null` (an opaque origin) counts as none. */
function originOf(request: FastifyRequest): string | undefined {
  const origin = request.headers.origin
  if (origin !== undefined) return origin === 'null' ? undefined : origin
  const referer = request.headers.referer
  if (referer === undefined) return undefined
  try {
    return new URL(referer).origin
  } catch {
    return undefined
  }
}

/** What a page can send without a preflight: a form's content types and no custom header. */
function isSimpleRequest(request: FastifyRequest): boolean {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  const jsonBody = type === 'application/json'
  const customHeader = request.headers.authorization !== undefined || request.headers['x-requested-with'] !== undefined
  return !jsonBody && !customHeader
}
