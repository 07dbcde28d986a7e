// GET /.well-known/jwks.json and /.well-known/oauth-authorization-server:
// public members only, cacheable with an ETag, and enough for a third-party
// verifier (jose, over a real port) to check keyturn's tokens by itself.
import type { AddressInfo } from 'node:net'
import { createRemoteJWKSet, jwtVerify, errors as joseErrors } from 'jose'
import t from 'tap'
import { build, signUp, uniqueName } from './helper.js'
import { ALGORITHMS, keysEnv, privateJwk, signWith, claimsOf, type Jwk } from './keys-support.js'

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']
const PUBLIC_MEMBERS: Record<string, string[]> = {
  OKP: ['kty', 'crv', 'x', 'kid', 'alg', 'use'],
  EC: ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use'],
  RSA: ['kty', 'n', 'e', 'kid', 'alg', 'use'],
}

t.test('the JWKS holds each key\'s public members, and never a private one', async (t) => {
  const keys = ALGORITHMS.map((alg) => ({ ...privateJwk(alg), use: 'sig', key_ops: ['sign'], ext: true }) as unknown as Jwk)
  const { call } = await build(t, { env: { ...keysEnv(keys, 'a-secret-that-must-never-be-published-32b'), JWKS_MAX_AGE: '0' } })
  const res = await call({ method: 'GET', url: '/.well-known/jwks.json' })
  t.equal(res.statusCode, 200)
  const published = res.json().keys as Jwk[]
  t.same(published.map((key) => key.kid), keys.map((key) => key.kid), 'every configured key, newest first')
  for (const [index, key] of published.entries()) {
    const given = keys[index]!
    t.same(Object.keys(key).sort(), PUBLIC_MEMBERS[key.kty!]!.slice().sort(), `${given.alg}: exactly the public members`)
    t.equal(key.alg, given.alg)
    t.equal(key.use, 'sig')
    for (const member of ['crv', 'x', 'y', 'n', 'e']) t.equal(key[member], given[member], `${given.alg}: ${member} as configured`)
    for (const member of PRIVATE_MEMBERS) {
      t.notOk(member in key, `${given.alg}: no ${member}`)
      if (typeof given[member] === 'string') t.notOk(res.body.includes(given[member]!), `${given.alg}: the value of ${member} is nowhere in the body`)
    }
  }
  t.notMatch(res.body, /a-secret-that-must-never-be-published/, 'the HS256 secret is not published')
  t.notMatch(res.body, /"oct"|key_ops|"ext"/, 'no symmetric key, nothing but the published members')
})

t.test('the JWKS is cacheable for JWKS_MAX_AGE and answers If-None-Match with 304', async (t) => {
  const { call } = await build(t, { env: { ...keysEnv([privateJwk('EdDSA')]), JWKS_MAX_AGE: '90s' } })
  const first = await call({ method: 'GET', url: '/.well-known/jwks.json' })
  t.equal(first.headers['cache-control'], 'public, max-age=90')
  const etag = first.headers.etag as string
  t.match(etag, /^"[A-Za-z0-9_-]+"$/, 'a strong entity tag')
  for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
    const again = await call({ method: 'GET', url: '/.well-known/jwks.json', headers: { 'if-none-match': header } })
    t.equal(again.statusCode, 304, `If-None-Match: ${header}`)
    t.equal(again.body, '', 'no body')
    t.equal(again.headers.etag, etag)
    t.equal(again.headers['cache-control'], 'public, max-age=90')
  }
  const changed = await call({ method: 'GET', url: '/.well-known/jwks.json', headers: { 'if-none-match': '"stale"' } })
  t.equal(changed.statusCode, 200, 'another tag: the set itself')
  t.same(changed.json(), first.json())

  const other = await build(t, { env: { ...keysEnv([privateJwk('EdDSA')]), JWKS_MAX_AGE: '90s' } })
  const otherTag = (await other.call({ method: 'GET', url: '/.well-known/jwks.json' })).headers.etag
  t.not(otherTag, etag, 'another set has another tag')
})

t.test('RFC 8414 metadata: issuer, jwks_uri and introspection_endpoint, from PUBLIC_URL or the request', async (t) => {
  const { call } = await build(t, { env: { JWT_ISSUER: 'https://auth.example.com' } })
  const res = await call({ method: 'GET', url: '/.well-known/oauth-authorization-server', headers: { host: 'auth.internal:8080' } })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'public, max-age=600')
  t.same(res.json(), {
    issuer: 'https://auth.example.com',
    jwks_uri: 'http://auth.internal:8080/.well-known/jwks.json',
    introspection_endpoint: 'http://auth.internal:8080/v1/auth/verify',
    introspection_endpoint_auth_methods_supported: ['none'],
    service_documentation: 'http://auth.internal:8080/docs',
  })
  const behindProxy = await build(t, { env: { PUBLIC_URL: 'https://auth.example.com/' } })
  const proxied = await behindProxy.call({ method: 'GET', url: '/.well-known/oauth-authorization-server', headers: { host: 'ignored:1' } })
  t.match(proxied.json(), {
    issuer: 'keyturn',
    jwks_uri: 'https://auth.example.com/.well-known/jwks.json',
    introspection_endpoint: 'https://auth.example.com/v1/auth/verify',
  })
})

t.test('jose verifies keyturn\'s tokens from the served JWKS, for each algorithm', async (t) => {
  for (const alg of ALGORITHMS) {
    const key = privateJwk(alg)
    const testApp = await build(t, { env: { ...keysEnv([key]), JWKS_MAX_AGE: '0', JWT_ISSUER: 'https://auth.example.com' } })
    await testApp.app.listen({ host: '127.0.0.1', port: 0 })
    const base = `http://127.0.0.1:${(testApp.app.server.address() as AddressInfo).port}`
    const account = await signUp(testApp, uniqueName(`jose${alg}`))

    // Discovered as a gateway would: the metadata names the JWKS.
    const metadata = (await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json()) as { issuer: string; jwks_uri: string }
    const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri))
    const { payload, protectedHeader } = await jwtVerify(account.access, jwks, {
      issuer: metadata.issuer,
      audience: 'keyturn',
      algorithms: [alg],
    })
    t.equal(payload.sub, String(account.id), `${alg}: jose accepts the token`)
    t.equal(protectedHeader.kid, key.kid)

    const stranger = privateJwk(alg, key.kid)
    const forged = signWith(stranger, alg, { alg, typ: 'JWT', kid: key.kid }, claimsOf(account.access))
    await t.rejects(jwtVerify(forged, jwks, { issuer: metadata.issuer, audience: 'keyturn' }), joseErrors.JWSSignatureVerificationFailed, `${alg}: jose refuses another key's signature`)
    const unknown = signWith(stranger, alg, { alg, typ: 'JWT', kid: 'not-published' }, claimsOf(account.access))
    await t.rejects(jwtVerify(unknown, jwks, { issuer: metadata.issuer, audience: 'keyturn' }), joseErrors.JWKSNoMatchingKey, `${alg}: jose finds no key for an unknown kid`)
  }
})
