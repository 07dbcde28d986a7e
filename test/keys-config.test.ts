// JWT_KEYS, JWT_KEYS_FILE and JWKS_MAX_AGE: each bad key is refused at start
// with a message naming the variable and the key, and never its material.
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import t, { type Test } from 'tap'
import { ConfigError, loadConfig, type Env } from '../src/config.js'
import { configuredKeys } from '../src/config/sections/keys.js'
import { privateJwk, publicPart, type Jwk } from './keys-support.js'
import { tempDir } from './processes.js'

function refusal(t: Test, env: Env, options: { signs?: boolean } = {}): string {
  try {
    loadConfig(env, options)
  } catch (error) {
    t.type(error, ConfigError)
    return (error as Error).message
  }
  t.fail(`${Object.keys(env).join(', ')} was accepted`)
  return ''
}

const set = (...keys: unknown[]) => JSON.stringify({ keys })

/** Refused with a message naming JWT_KEYS and `where`, and quoting no private member of any key given. */
function refusesKeys(t: Test, keys: unknown[] | string, where: RegExp, why: RegExp, what: string): void {
  const text = typeof keys === 'string' ? keys : set(...keys)
  const message = refusal(t, { JWT_KEYS: text })
  t.match(message, /JWT_KEYS/, `${what}: names JWT_KEYS`)
  t.match(message, where, `${what}: names the key`)
  t.match(message, why, `${what}: says why`)
  for (const key of typeof keys === 'string' ? [] : keys) {
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) {
      const value = (key as Jwk | null)?.[member]
      if (typeof value === 'string') t.notOk(message.includes(value), `${what}: ${member} is not in the message`)
    }
  }
}

t.test('a JWK Set of EdDSA, ES256 and RS256 private keys is read newest first', async (t) => {
  const keys = [privateJwk('EdDSA', 'newest'), privateJwk('ES256', 'middle'), privateJwk('RS256', 'oldest')]
  const config = loadConfig({ JWT_KEYS: set(...keys) })
  t.same(configuredKeys(config).map((key) => [key.kid, key.alg]), [['newest', 'EdDSA'], ['middle', 'ES256'], ['oldest', 'RS256']])
  t.equal(config.keys.jwksMaxAgeMs, 10 * 60_000, 'JWKS_MAX_AGE defaults to 10 minutes')
  t.equal(loadConfig({ JWKS_MAX_AGE: '30s' }).keys.jwksMaxAgeMs, 30_000)
  t.same(configuredKeys(loadConfig({})), [], 'none: HS256 alone')
  t.ok(loadConfig({ JWT_KEYS: set({ ...privateJwk('EdDSA'), use: 'sig', key_ops: ['sign', 'verify'] }) }), 'use sig and key_ops sign are fine')
})

t.test('each bad key is refused, naming the variable and the key', async (t) => {
  const good = privateJwk('EdDSA', 'good')
  refusesKeys(t, '{"keys": [', /not valid JSON/, /JWK Set/, 'broken JSON')
  const secretish = `{"keys":[{"kty":"OKP","d":"${'s'.repeat(43)}" oops]}`
  t.notMatch(refusal(t, { JWT_KEYS: secretish }), /s{20}/, 'broken JSON: no excerpt of the text (it is key material)')
  refusesKeys(t, '[]', /JWT_KEYS/, /JWK Set/, 'an array, not a set')
  refusesKeys(t, '{"keys": []}', /JWT_KEYS/, /no keys/, 'an empty set')
  refusesKeys(t, [good, 'a string'], /keys\[1\]/, /JSON object/, 'a member that is not a JWK')
  refusesKeys(t, [publicPart(privateJwk('EdDSA', 'pub-ed'))], /keys\[0\] \(kid "pub-ed"\)/, /public key/, 'an EdDSA public key')
  refusesKeys(t, [publicPart(privateJwk('ES256', 'pub-ec'))], /kid "pub-ec"/, /public key/, 'an ES256 public key')
  refusesKeys(t, [good, publicPart(privateJwk('RS256', 'pub-rsa'))], /keys\[1\] \(kid "pub-rsa"\)/, /public key/, 'an RS256 public key')
  const { qi: _qi, ...noQi } = privateJwk('RS256', 'partial')
  refusesKeys(t, [noQi], /kid "partial"/, /lacks the private members qi/, 'an RSA key without qi')
  refusesKeys(t, [good, { ...privateJwk('ES256'), kid: 'good' }], /keys\[1\] \(kid "good"\)/, /used by an earlier key/, 'a duplicate kid')
  const { kid: _kid, ...noKid } = privateJwk('EdDSA')
  refusesKeys(t, [noKid], /keys\[0\]/, /has no kid/, 'no kid')
  refusesKeys(t, [{ ...privateJwk('EdDSA'), kid: '' }], /keys\[0\]/, /has no kid/, 'an empty kid')
  refusesKeys(t, [{ ...privateJwk('EdDSA'), kid: 'with space' }], /keys\[0\]/, /printable ASCII/, 'a kid with a space')
  const { alg: _alg, ...noAlg } = privateJwk('EdDSA', 'no-alg')
  refusesKeys(t, [noAlg], /kid "no-alg"/, /has no alg/, 'no alg')
  refusesKeys(t, [{ ...privateJwk('ES256', 'es384'), alg: 'ES384' }], /kid "es384"/, /not supported/, 'ES384')
  refusesKeys(t, [{ ...privateJwk('RS256', 'ps256'), alg: 'PS256' }], /kid "ps256"/, /not supported/, 'PS256')
  refusesKeys(t, [{ ...privateJwk('EdDSA', 'none'), alg: 'none' }], /kid "none"/, /not supported/, 'alg none')
  refusesKeys(t, [{ ...privateJwk('EdDSA', 'proto'), alg: 'toString' }], /kid "proto"/, /not supported/, 'an alg named like a prototype member')
  refusesKeys(t, [{ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA', kid: 'hmac', alg: 'HS256' }], /kid "hmac"/, /JWT_SECRET/, 'an HS256 key')
  refusesKeys(t, [{ ...privateJwk('EdDSA', 'ed-as-es'), alg: 'ES256' }], /kid "ed-as-es"/, /needs kty EC with crv P-256 \(got kty OKP, crv Ed25519\)/, 'an Ed25519 key as ES256')
  refusesKeys(t, [{ ...privateJwk('ES256', 'es-as-rs'), alg: 'RS256' }], /kid "es-as-rs"/, /needs kty RSA/, 'a P-256 key as RS256')
  refusesKeys(t, [{ ...privateJwk('RS256', 'rs-as-ed'), alg: 'EdDSA' }], /kid "rs-as-ed"/, /needs kty OKP with crv Ed25519/, 'an RSA key as EdDSA')
  refusesKeys(t, [{ ...privateJwk('ES256', 'p384'), crv: 'P-384' }], /kid "p384"/, /crv P-256/, 'a P-384 curve under ES256')
  refusesKeys(t, [{ ...privateJwk('RS256', 'rsa1024', 1024) }], /kid "rsa1024"/, /1024-bit RSA key; RS256 needs at least 2048 bits/, 'RSA 1024')
  refusesKeys(t, [{ ...privateJwk('EdDSA', 'enc'), use: 'enc' }], /kid "enc"/, /use must be "sig"/, 'use enc')
  refusesKeys(t, [{ ...privateJwk('EdDSA', 'verify-only'), key_ops: ['verify'] }], /kid "verify-only"/, /key_ops/, 'key_ops without sign')
  refusesKeys(t, [{ ...privateJwk('EdDSA', 'garbage'), d: 'AAAA' }], /kid "garbage"/, /not a valid EdDSA private key/, 'a private member that is no key')
  const other = privateJwk('ES256')
  refusesKeys(t, [{ ...privateJwk('ES256', 'mixed'), x: other.x!, y: other.y! }], /kid "mixed"/, /do not belong to its private key/, 'EC: public members of another key')
  refusesKeys(t, [{ ...privateJwk('EdDSA', 'mixed-ed'), x: privateJwk('EdDSA').x! }], /kid "mixed-ed"/, /do not belong/, 'OKP: x of another key')
  refusesKeys(t, [{ ...privateJwk('RS256', 'mixed-rsa'), n: privateJwk('RS256').n! }], /kid "mixed-rsa"/, /do not belong|not a valid/, 'RSA: n of another key')
})

t.test('JWT_KEYS_FILE reads the same set from a file; both at once is refused', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'keys.json')
  const key = privateJwk('ES256', 'from-file')
  await writeFile(file, set(key))
  t.same(configuredKeys(loadConfig({ JWT_KEYS_FILE: file })).map((k) => k.kid), ['from-file'])

  const both = refusal(t, { JWT_KEYS_FILE: file, JWT_KEYS: set(privateJwk('EdDSA')) })
  t.match(both, /JWT_KEYS_FILE and JWT_KEYS are both set/)

  const missing = refusal(t, { JWT_KEYS_FILE: path.join(dir, 'absent.json') })
  t.match(missing, /JWT_KEYS_FILE names no readable file/)
  t.match(missing, /ENOENT/)

  await writeFile(file, set(publicPart(key)))
  const publicOnly = refusal(t, { JWT_KEYS_FILE: file })
  t.match(publicOnly, /JWT_KEYS_FILE keys\[0\] \(kid "from-file"\): is a public key/)
})

t.test('JWKS_MAX_AGE is a duration of at most a day', async (t) => {
  t.match(refusal(t, { JWKS_MAX_AGE: 'soon' }), /JWKS_MAX_AGE must be a duration/)
  t.match(refusal(t, { JWKS_MAX_AGE: '2d' }), /JWKS_MAX_AGE must be at most 1d/)
})

t.test('production signs with keys, a secret, or both, and refuses neither', async (t) => {
  const production: Env = {
    NODE_ENV: 'production',
    MAIL_TRANSPORT: 'smtp',
    SMTP_URL: 'smtp://mail.example:587',
    PASSWORD_RESET_URL: 'https://app.example/reset#token={token}',
  }
  const keys = set(privateJwk('EdDSA'))
  t.match(refusal(t, production, { signs: true }), /JWT_SECRET is required when NODE_ENV=production .*unless JWT_KEYS or JWT_KEYS_FILE/)
  t.doesNotThrow(() => loadConfig({ ...production, JWT_KEYS: keys }, { signs: true }), 'keys alone')
  t.doesNotThrow(() => loadConfig({ ...production, JWT_KEYS: keys, JWT_SECRET: 'k'.repeat(32) }, { signs: true }), 'keys and a secret')
  t.match(refusal(t, { ...production, JWT_KEYS: keys, JWT_SECRET: 'short' }, { signs: true }), /JWT_SECRET must be at least 32 bytes/, 'a short secret is refused beside keys too')
})
