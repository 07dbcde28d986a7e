import type { FastifyInstance } from 'fastify'

export interface SecurityHeadersOptions {
  /** PUBLIC_URL: with https, every response asks browsers to keep to HTTPS (HSTS). */
  publicUrl: string | undefined
  /** The `servers` of openapi.yaml: where the /docs page's "Try it out" sends requests. */
  servers: string[]
}

/** A year, as browsers' preload lists ask; never includeSubDomains: keyturn cannot speak for its sibling hosts. */
const HSTS = 'max-age=31536000'

/**
 * Security headers on every response, errors and 404s included, set before
 * routing (what @fastify/helmet sets, without a plugin that could register
 * routes). Nothing here is framed (frame-ancestors 'none', X-Frame-Options),
 * sniffed as another type, or sends a Referer (a reset link's token must not
 * leak from a page). JSON responses may load nothing at all; the /docs page
 * may load its own scripts and styles, data: images (its icons), and fetch
 * this origin, PUBLIC_URL and the spec's `servers` ("Try it out"). No
 * 'unsafe-inline': Swagger UI sets its styles through the DOM, which
 * style-src does not restrict (test/security-headers.test.ts drives the page
 * in Chromium and fails on any violation). HSTS only where HTTPS is in use: when PUBLIC_URL
 * is https, or the request came over HTTPS (X-Forwarded-Proto from a trusted
 * proxy, see TRUST_PROXY); over plain HTTP browsers ignore it anyway, and a
 * development setup on http://127.0.0.1 must not be pinned to HTTPS.
 */
export function registerSecurityHeaders(app: FastifyInstance, options: SecurityHeadersOptions): void {
  const connect = [...new Set(["'self'", ...[options.publicUrl, ...options.servers].flatMap(originOf)])].join(' ')
  const base = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  }
  const api = {
    ...base,
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  }
  // Tokens and account data must not sit in caches (RFC 6749 §5.1).
  const v1 = { ...api, 'cache-control': 'no-store' }
  const docs = {
    ...base,
    'content-security-policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "font-src 'self' data:",
      `connect-src ${connect}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'self'",
    ].join('; '),
  }
  const httpsAlways = options.publicUrl?.startsWith('https:') ?? false

  app.addHook('onRequest', (request, reply, done) => {
    const url = request.url
    reply.headers(url.startsWith('/v1/') ? v1 : url === '/docs' || url.startsWith('/docs/') ? docs : api)
    if (httpsAlways || request.protocol === 'https') reply.header('strict-transport-security', HSTS)
    done()
  })
}

function originOf(url: string | undefined): string[] {
  if (!url) return []
  try {
    const { origin } = new URL(url)
    return origin === 'null' ? [] : [origin]
  } catch {
    return []
  }
}
