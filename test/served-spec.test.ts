// Where the served document says keyturn is, and how /docs is delivered.
import { gunzipSync, brotliDecompressSync } from 'node:zlib'
import { parse } from 'yaml'
import t from 'tap'
import { chooseEncoding } from '../src/http/docs.js'
import { spec } from './contract.js'
import { build } from './helper.js'

t.test('openapi.yaml names a relative server; the served one names PUBLIC_URL when set', async (t) => {
  t.same(spec.document.servers, [{ url: '/', description: 'the keyturn that serves this document' }], 'the file: relative')
  const plain = await build(t)
  const served = await plain.call({ method: 'GET', url: '/openapi.yaml' })
  t.equal(served.body, spec.text, 'without PUBLIC_URL the file is served as it is')

  const behindProxy = await build(t, { env: { PUBLIC_URL: 'https://auth.example.com/keyturn' } })
  const document = parse((await behindProxy.call({ method: 'GET', url: '/openapi.yaml' })).body)
  t.same(document.servers, [{ url: 'https://auth.example.com/keyturn', description: 'PUBLIC_URL' }])
  t.same({ ...document, servers: undefined }, { ...spec.document, servers: undefined }, 'and nothing else changes')
})

t.test('/docs/ redirects to /docs, relatively', async (t) => {
  const { call } = await build(t)
  const res = await call({ method: 'GET', url: '/docs/' })
  t.equal(res.statusCode, 301)
  t.equal(res.headers.location, '../docs', 'resolves to /docs, and under a proxy prefix to <prefix>/docs')
  t.equal(new URL(res.headers.location as string, 'http://x/prefix/docs/').pathname, '/prefix/docs')
})

t.test("Swagger UI's bundle is served compressed to clients that accept it", async (t) => {
  const { call } = await build(t)
  const plain = await call({ method: 'GET', url: '/docs/assets/swagger-ui-bundle.js' })
  t.equal(plain.statusCode, 200)
  t.notOk(plain.headers['content-encoding'], 'identity without Accept-Encoding')
  t.ok(plain.rawPayload.length > 1_000_000, 'the bundle is big')
  t.equal(plain.headers.vary, 'accept-encoding')

  const br = await call({ method: 'GET', url: '/docs/assets/swagger-ui-bundle.js', headers: { 'accept-encoding': 'gzip, deflate, br, zstd' } })
  t.equal(br.headers['content-encoding'], 'br')
  t.ok(br.rawPayload.length < plain.rawPayload.length / 3, `br: ${br.rawPayload.length} bytes`)
  t.ok(brotliDecompressSync(br.rawPayload).equals(plain.rawPayload), 'which decompresses to the file')

  const gzip = await call({ method: 'GET', url: '/docs/assets/swagger-ui.css', headers: { 'accept-encoding': 'gzip' } })
  t.equal(gzip.headers['content-encoding'], 'gzip')
  t.match(gunzipSync(gzip.rawPayload).toString('utf8'), '.swagger-ui')
  const png = await call({ method: 'GET', url: '/docs/assets/favicon-32x32.png', headers: { 'accept-encoding': 'br' } })
  t.notOk(png.headers['content-encoding'], 'a PNG is sent as it is')
})

t.test('Accept-Encoding is read with its q values', async (t) => {
  const bodies = { identity: 'x', br: Buffer.from('b'), gzip: Buffer.from('g') }
  t.equal(chooseEncoding('br;q=0, gzip', bodies), 'gzip')
  t.equal(chooseEncoding('*', bodies), 'br')
  t.equal(chooseEncoding('identity', bodies), 'identity')
  t.equal(chooseEncoding('*;q=0', bodies), 'identity')
  t.equal(chooseEncoding(undefined, bodies), 'identity')
  t.equal(chooseEncoding('GZIP', { identity: 'x', gzip: Buffer.from('g') }), 'gzip')
})
