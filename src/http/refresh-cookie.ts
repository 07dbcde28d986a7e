import type { CookieSerializeOptions } from '@fastify/cookie'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../config.js'
import type { TokenResponse } from '../services/views.js'

/** The name before the `__Secure-` prefix: still read (and cleared), so an upgrade logs nobody out. */
const LEGACY_NAME = 'keyturn_refresh'

/**
 * With REFRESH_COOKIE=true the refresh token travels only in an HttpOnly
 * cookie scoped to keyturn's /v1/auth: page scripts never see it. Its name
 * carries the `__Secure-` prefix, which browsers accept only with Secure (so
 * no plain-http page or subdomain can plant one); `__Host-` would need
 * Path=/, which would send the token with every request to the host.
 */
export interface RefreshCookie {
  readonly enabled: boolean
  /** The cookie's name, as openapi.yaml's refreshCookie scheme names it. */
  readonly name: string
  /** Moves a response's refresh token into the cookie (when enabled). */
  deliver<T extends { tokens: TokenResponse }>(reply: FastifyReply, result: T): T
  read(request: FastifyRequest): string | undefined
  /** Whether the request carries the cookie at all (for the CSRF checks). */
  presented(request: FastifyRequest): boolean
  clear(reply: FastifyReply): void
}

export function refreshCookieName(config: Config): string {
  return config.browser.cookieSecure ? `__Secure-${LEGACY_NAME}` : LEGACY_NAME
}

/** Where the cookie is sent: keyturn's /v1/auth, under PUBLIC_URL's path when keyturn is mounted below one. */
function cookiePath(config: Config): string {
  const prefix = config.http.publicUrl ? new URL(config.http.publicUrl).pathname.replace(/\/+$/, '') : ''
  return `${prefix}/v1/auth`
}

export function createRefreshCookie(config: Config): RefreshCookie {
  const name = refreshCookieName(config)
  if (!config.browser.refreshCookie) {
    return {
      enabled: false,
      name,
      deliver: (_reply, result) => result,
      read: () => undefined,
      presented: () => false,
      clear: () => {},
    }
  }
  const attributes: CookieSerializeOptions = {
    httpOnly: true,
    secure: config.browser.cookieSecure,
    sameSite: config.browser.cookieSameSite,
    path: cookiePath(config),
    ...(config.browser.cookieDomain ? { domain: config.browser.cookieDomain } : {}),
  }
  const names = name === LEGACY_NAME ? [name] : [name, LEGACY_NAME]
  return {
    enabled: true,
    name,
    deliver(reply, result) {
      const { refresh_token, refresh_expires_in, ...tokens } = result.tokens
      if (refresh_token === undefined) return result
      reply.setCookie(name, refresh_token, { ...attributes, maxAge: refresh_expires_in })
      return { ...result, tokens }
    },
    read: (request) => names.map((candidate) => request.cookies?.[candidate]).find((value) => value !== undefined && value !== ''),
    presented: (request) => names.some((candidate) => request.cookies?.[candidate] !== undefined),
    clear(reply) {
      for (const candidate of names) reply.clearCookie(candidate, attributes)
    },
  }
}
