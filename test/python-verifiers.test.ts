// A Python service verifies keyturn's tokens from the served JWKS: PyJWT's
// PyJWKClient, and djangorestframework-simplejwt's JWK_URL. Runs Debian's
// /usr/bin/python3 with python3-jwt + python3-cryptography (and, for
// simplejwt, python3-djangorestframework-simplejwt); skipped without them.
import { spawn, spawnSync } from 'node:child_process'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import t from 'tap'
import { build, signUp, uniqueName } from './helper.js'
import { ALGORITHMS, keysEnv, privateJwk, type Alg } from './keys-support.js'

const PYTHON = '/usr/bin/python3'
const SCRIPT = path.join(import.meta.dirname, 'fixtures', 'python', 'verify_token.py')
const has = (modules: string) => spawnSync(PYTHON, ['-c', `import ${modules}`]).status === 0
const hasPyJwt = has('jwt, cryptography')
const hasSimpleJwt = hasPyJwt && has('django, rest_framework, rest_framework_simplejwt')

interface Outcome {
  ok: boolean
  sub?: string
  kid?: string
  version?: string
  error?: string
}

function verifyInPython(how: 'pyjwt' | 'simplejwt', jwksUrl: string, alg: Alg, token: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SCRIPT, how, jwksUrl, alg, 'keyturn', 'keyturn', token], { env: { PATH: process.env.PATH } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`python exited ${code}: ${stderr}`))))
  })
}

/** simplejwt accepts EdDSA from 5.4 (it took PyJWT's list of algorithms); before, only HS*, RS*, ES*. */
const simpleJwtTakesEdDsa = (version: string) => {
  const [major = 0, minor = 0] = version.split('.').map(Number)
  return major > 5 || (major === 5 && minor >= 4)
}

t.test('PyJWT and simplejwt verify keyturn tokens from the JWKS', { skip: hasPyJwt ? false : `${PYTHON} lacks jwt or cryptography (apt: python3-jwt python3-cryptography)` }, async (t) => {
  for (const alg of ALGORITHMS) {
    const key = privateJwk(alg)
    const testApp = await build(t, { env: { ...keysEnv([key]), JWKS_MAX_AGE: '0' } })
    await testApp.app.listen({ host: '127.0.0.1', port: 0 })
    const jwksUrl = `http://127.0.0.1:${(testApp.app.server.address() as AddressInfo).port}/.well-known/jwks.json`
    const account = await signUp(testApp, uniqueName(`py${alg}`))

    const pyjwt = await verifyInPython('pyjwt', jwksUrl, alg, account.access)
    t.same(pyjwt, { ok: true, sub: String(account.id), kid: key.kid }, `${alg}: PyJWT's PyJWKClient verifies it`)
    const tampered = `${account.access.slice(0, -4)}${account.access.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`
    t.equal((await verifyInPython('pyjwt', jwksUrl, alg, tampered)).ok, false, `${alg}: PyJWT refuses a tampered signature`)

    if (!hasSimpleJwt) {
      t.comment(`${PYTHON} lacks djangorestframework-simplejwt (apt: python3-djangorestframework-simplejwt): simplejwt not checked`)
      continue
    }
    const simplejwt = await verifyInPython('simplejwt', jwksUrl, alg, account.access)
    if (alg === 'EdDSA' && !simplejwt.ok) {
      t.match(simplejwt.error, /Unrecognized algorithm type 'EdDSA'/, 'simplejwt before 5.4 does not take EdDSA: pick ES256 or RS256 for Django')
      continue
    }
    t.match(simplejwt, { ok: true, sub: String(account.id) }, `${alg}: simplejwt's AccessToken with JWK_URL verifies it`)
    if (alg === 'EdDSA') t.ok(simpleJwtTakesEdDsa(simplejwt.version!), 'EdDSA passed: simplejwt 5.4 or later')
  }
})
