/**
 * RFC 8414 authorization server metadata, as far as keyturn is one: where its
 * keys are (`jwks_uri`, RFC 9068 §4 points resource servers there) and what
 * `iss` its tokens carry (`issuer`), and its introspection endpoint (RFC 7662
 * style, no client authentication). keyturn has no OAuth authorization or
 * token endpoint (login and refresh take JSON, not RFC 6749 form posts), so
 * the members describing those are left out rather than claimed; which
 * algorithm signs is in each key's `alg` in the JWKS.
 */
export interface ServerMetadata {
  issuer: string
  jwks_uri: string
  introspection_endpoint: string
  introspection_endpoint_auth_methods_supported: string[]
  service_documentation: string
}

/** `baseUrl`: PUBLIC_URL, or the origin the request was sent to; no trailing slash. */
export function serverMetadata(issuer: string, baseUrl: string): ServerMetadata {
  return {
    issuer,
    jwks_uri: `${baseUrl}/.well-known/jwks.json`,
    introspection_endpoint: `${baseUrl}/v1/auth/verify`,
    introspection_endpoint_auth_methods_supported: ['none'],
    service_documentation: `${baseUrl}/docs`,
  }
}
