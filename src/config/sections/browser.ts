import { duration, oneOf, parseBoolean, parseList } from '../parsers.js'
import { optional, variable, type Env } from '../variable.js'

/** An origin as browsers send it: scheme, host and port, nothing else. */
function parseOrigins(raw: string): string[] {
  const origins = parseList(raw)
  for (const origin of origins) {
    if (origin === '*') throw new Error('must list exact origins (https://app.example.com), never *: a wildcard would let any site call keyturn')
    let url: URL
    try {
      url = new URL(origin)
    } catch {
      throw new Error(`must list origins such as https://app.example.com (got "${origin}")`)
    }
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== origin) {
      throw new Error(`must list origins exactly as browsers send them: scheme://host[:port], no path or trailing slash (got "${origin}")`)
    }
  }
  return origins
}

/** A cookie domain: a host name, optionally with the leading dot browsers ignore. */
function parseCookieDomain(raw: string): string {
  const domain = raw.trim().replace(/^\./, '').toLowerCase()
  if (!/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(domain)) {
    throw new Error(`must be a host name such as example.com (got "${raw}")`)
  }
  return domain
}

const cookieOn = (env: Env) => /^(true|1|yes|on)$/i.test(env.REFRESH_COOKIE?.trim() ?? '')

export const browserVariables = {
  browser: {
    corsOrigins: variable('CORS_ORIGINS', parseOrigins, {
      default: { value: [], doc: 'unset: no cross-origin calls' },
      doc: 'the exact origins whose pages may call keyturn (`https://app.example.com,https://admin.example.com`); with the refresh cookie, with credentials; never `*`',
    }),
    corsMaxAgeMs: variable('CORS_MAX_AGE', duration({ max: 86_400_000 }), {
      default: '10m',
      doc: 'how long a browser may cache a preflight answer (`Access-Control-Max-Age`)',
    }),
    refreshCookie: variable('REFRESH_COOKIE', parseBoolean, {
      default: 'false',
      doc: '`true`: the refresh token travels only in an HttpOnly cookie on `/v1/auth` (`__Secure-keyturn_refresh`), never in a body: page scripts never see it. Requests it authenticates must pass the CSRF checks (see "Using keyturn from a web page")',
    }),
    cookieSameSite: variable('REFRESH_COOKIE_SAMESITE', oneOf(['strict', 'lax', 'none']), {
      default: 'strict',
      doc: 'the cookie\'s `SameSite`: `strict`, `lax`, or `none` (a page on another site, which must then be in `CORS_ORIGINS`; needs Secure, and browsers that block third-party cookies will not send it)',
    }),
    cookieDomain: optional('REFRESH_COOKIE_DOMAIN', parseCookieDomain, {
      defaultDoc: 'unset: keyturn\'s host only',
      doc: 'share the cookie with subdomains, e.g. `example.com` (keyturn at `auth.example.com`, the app at `app.example.com`)',
    }),
    cookieSecure: variable('REFRESH_COOKIE_SECURE', parseBoolean, {
      default: 'true',
      doc: '`false` only for development on `http://localhost` (browsers drop Secure cookies over plain http); production refuses it',
      check: (secure, env) =>
        !secure && env.REFRESH_COOKIE_SAMESITE?.trim() === 'none'
          ? 'false does not go with REFRESH_COOKIE_SAMESITE=none: browsers refuse SameSite=None without Secure'
          : undefined,
      production: (secure, _set, env) =>
        !secure && cookieOn(env) ? 'must not be false when NODE_ENV=production: the refresh token would travel over plain http' : undefined,
    }),
  },
}
