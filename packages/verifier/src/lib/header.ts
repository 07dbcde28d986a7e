/** The schemes of keyturn's AUTH_HEADER_TYPES, matched case-insensitively. */
export function headerSchemes(headerTypes: readonly string[] = ['Bearer']): ReadonlySet<string> {
  if (!Array.isArray(headerTypes) || headerTypes.length === 0) throw new TypeError('headerTypes must list at least one scheme')
  for (const type of headerTypes) {
    if (typeof type !== 'string' || !/^[A-Za-z][A-Za-z0-9._~+/-]*$/.test(type)) {
      throw new TypeError(`headerTypes: ${JSON.stringify(type)} is not an Authorization scheme such as "Bearer"`)
    }
  }
  return new Set(headerTypes.map((type) => type.toLowerCase()))
}

export type HeaderToken =
  | { kind: 'token'; token: string }
  /** No Authorization header, or one of another scheme: no credentials for us. */
  | { kind: 'absent' }
  /** One of our schemes, but not `<scheme> <token>`. */
  | { kind: 'malformed' }

/** The token of `Authorization: <scheme> <token>`, exactly as keyturn itself reads it. */
export function tokenFromHeader(header: string | string[] | undefined, schemes: ReadonlySet<string>): HeaderToken {
  if (typeof header !== 'string') return { kind: 'absent' }
  const [scheme = '', token, ...rest] = header.trim().split(/\s+/)
  if (!schemes.has(scheme.toLowerCase())) return { kind: 'absent' }
  if (!token || rest.length > 0) return { kind: 'malformed' }
  return { kind: 'token', token }
}
