// examples/microservice as a real process (plain node on the built package,
// as a consumer runs it) against the keyturn stand-in.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { assertProblem, get } from './support/http.js'
import { startKeyturnStub } from './support/keyturn-stub.js'
import { generateSigningKey, SECRET, signHs256, signWith } from './support/tokens.js'
import { eventually } from './support/verifier.js'

const server = fileURLToPath(new URL('../../../examples/microservice/server.js', import.meta.url))
const built = existsSync(fileURLToPath(new URL('../dist/fastify.js', import.meta.url)))

t.test('the example microservice protects GET /hello with the plugin', { skip: built ? false : 'run `npm run build` first' }, async (t) => {
  const stub = await startKeyturnStub()
  t.teardown(() => stub.close())
  const key = await generateSigningKey('EdDSA')
  stub.jwks = { keys: [key.jwk] }
  const child = spawn(process.execPath, [server], {
    env: {
      PATH: process.env.PATH,
      KEYTURN_URL: stub.url,
      KEYTURN_ISSUER: 'keyturn-test',
      KEYTURN_AUDIENCE: 'keyturn-test-audience',
      JWT_SECRET: SECRET,
      JWKS: 'true',
      REVOCATION_FEED_TOKEN: stub.feedToken,
      PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  t.teardown(() => child.kill('SIGKILL'))
  let output = ''
  const base = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk
      const listening = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (listening) resolve(listening[1]!)
    })
    void exited.then((code) => reject(new Error(`the example exited (${code}) before listening:\n${output}`)))
  })

  t.same((await get(`${base}/healthz`)).body, { status: 'ok' })
  t.same((await get(`${base}/hello`, `Bearer ${await signHs256({ sid: 's' })}`)).body, { hello: 'ada', sub: '42' }, 'HS256')
  t.same((await get(`${base}/hello`, `Bearer ${await signWith(key)}`)).body, { hello: 'ada', sub: '42' }, 'EdDSA from the JWKS')
  assertProblem(t, await get(`${base}/hello`), 'not_authenticated', 'no token')

  const token = `Bearer ${await signWith(key, { sid: 'leaving' })}`
  t.equal((await get(`${base}/hello`, token)).status, 200)
  stub.push({ sid: 'leaving', exp: Math.floor(Date.now() / 1000) + 900 })
  await eventually(async () => (await get(`${base}/hello`, token)).status === 401, 'the logout to reach the example')
  assertProblem(t, await get(`${base}/hello`, token), 'token_revoked', 'after logout')

  child.kill('SIGTERM')
  t.equal(await exited, 0, 'SIGTERM closes it cleanly')
})
