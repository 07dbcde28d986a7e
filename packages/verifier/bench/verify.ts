// npm run bench:verifier — how fast verify() is against the libraries one
// would otherwise use, on the same 10,000 distinct tokens in rotation, and
// what the plugin costs a Fastify route. Machines are shared and noisy: read
// the ratios, which compare runs made moments apart.
import { spawn } from 'node:child_process'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import autocannon, { type Result } from 'autocannon'
import { createVerifier as createFastJwtVerifier } from 'fast-jwt'
import { exportSPKI, importJWK, jwtVerify, type CryptoKey } from 'jose'
import { createVerifier } from '../src/index.js'
import { startKeyturnStub } from '../test/support/keyturn-stub.js'
import { AUDIENCE, generateSigningKey, ISSUER, SECRET, signHs256, signWith } from '../test/support/tokens.js'

const TOKENS = 10_000
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2)
/** Each measurement is repeated, interleaved with the others, and the median kept: a noisy moment spoils one round, not the table. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10)

const yieldToIo = () => new Promise((resolve) => setImmediate(resolve))
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/** Calls `fn` on the tokens in rotation for SECONDS; ops/s. */
async function opsPerSecond(tokens: string[], fn: (token: string) => unknown): Promise<number> {
  let ops = 0
  const started = performance.now()
  const deadline = started + SECONDS * 1000
  while (performance.now() < deadline) {
    // Check the clock once per thousand calls: reading it costs more than a cache hit.
    for (let i = 0; i < 1000; i++) await fn(tokens[ops++ % tokens.length]!)
    // And let I/O in, as a server's event loop does between requests: the
    // feed's answers must land, or the verifier rightly goes stale.
    await yieldToIo()
  }
  return ops / ((performance.now() - started) / 1000)
}

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A load run; with `once`, exactly one request per token instead of SECONDS of them (the warm-up). */
function cannon(url: string, tokens: string[] | undefined, once = false): Promise<Result> {
  let next = 0
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections: CONNECTIONS,
        ...(once && tokens ? { amount: tokens.length } : { duration: SECONDS }),
        requests: [
          {
            setupRequest: (request) =>
              tokens ? { ...request, headers: { ...request.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` } } : request,
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    )
  })
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const times = (a: number, b: number) => `${(a / b).toFixed(1)}×`

const stub = await startKeyturnStub()
const ed = await generateSigningKey('EdDSA')
stub.jwks = { keys: [ed.jwk] }
// A denylist of realistic size for the verifier to check against.
stub.push(...Array.from({ length: 1000 }, (_, i) => ({ sid: `revoked-${i}`, exp: Math.floor(Date.now() / 1000) + 900 })))

process.stdout.write(`signing ${TOKENS} HS256 and ${TOKENS} EdDSA tokens...\n`)
const hsTokens: string[] = []
const edTokens: string[] = []
for (let i = 0; i < TOKENS; i++) {
  hsTokens.push(await signHs256())
  edTokens.push(await signWith(ed))
}

const secretKey = await crypto.subtle.importKey('raw', new TextEncoder().encode(SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
const edKey = (await importJWK(ed.jwk, 'EdDSA')) as CryptoKey
const edPublicPem = await exportSPKI(edKey)
const joseOptions = { issuer: ISSUER, audience: AUDIENCE }
const revocations = { url: stub.feedUrl, token: stub.feedToken }
const ours = {
  HS256: createVerifier({ issuer: ISSUER, audience: AUDIENCE, secret: SECRET, revocations }),
  EdDSA: createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: stub.jwksUrl, revocations }),
}
await Promise.all([ours.HS256.ready(), ours.EdDSA.ready()])
const fastJwt = (key: string, algorithms: string[], cache?: number) =>
  createFastJwtVerifier({ key, algorithms: algorithms as never, allowedIss: ISSUER, allowedAud: AUDIENCE, ...(cache ? { cache } : {}) })

const fastHs = fastJwt(SECRET, ['HS256'])
const fastEd = fastJwt(edPublicPem, ['EdDSA'])
const fastHsCached = fastJwt(SECRET, ['HS256'], 20_000)
const fastEdCached = fastJwt(edPublicPem, ['EdDSA'], 20_000)
const contenders: Array<[string, (token: string) => unknown, (token: string) => unknown]> = [
  ['@keyturn/verifier `verify` (feed on, 1,000 revoked)', (t) => ours.HS256.verify(t), (t) => ours.EdDSA.verify(t)],
  [
    'jose `jwtVerify`',
    (t) => jwtVerify(t, secretKey, { ...joseOptions, algorithms: ['HS256'] }),
    (t) => jwtVerify(t, edKey, { ...joseOptions, algorithms: ['EdDSA'] }),
  ],
  ['fast-jwt `createVerifier`', (t) => fastHs(t), (t) => fastEd(t)],
  ['fast-jwt `createVerifier` with `cache: 20000`', (t) => fastHsCached(t), (t) => fastEdCached(t)],
]
// One pass over every token first: the caches (ours, fast-jwt's) start warm,
// as they are in a running service. The stub feed lives in this process: let
// it answer now and then.
for (const [, hs, eddsa] of contenders) {
  for (const [tokens, fn] of [[hsTokens, hs], [edTokens, eddsa]] as const) {
    for (const [i, token] of tokens.entries()) {
      await fn(token)
      if (i % 100 === 0) await yieldToIo()
    }
  }
}
/** Until the verifier has heard from the feed again (a synchronous contender may have kept the stub from answering). */
async function fresh(): Promise<void> {
  for (;;) {
    const ok = await Promise.all([ours.HS256.verify(hsTokens[0]!), ours.EdDSA.verify(edTokens[0]!)]).then(() => true, () => false)
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
const samples = contenders.map(() => ({ hs: [] as number[], ed: [] as number[] }))
for (let round = 0; round < ROUNDS; round++) {
  process.stdout.write(`verify round ${round + 1} of ${ROUNDS}...\n`)
  for (const [i, [, hs, eddsa]] of contenders.entries()) {
    if (i === 0) await fresh()
    samples[i]!.hs.push(await opsPerSecond(hsTokens, hs))
    samples[i]!.ed.push(await opsPerSecond(edTokens, eddsa))
  }
}
const rows = contenders.map(([name], i) => [name, median(samples[i]!.hs), median(samples[i]!.ed)] as const)
await Promise.all([ours.HS256.close(), ours.EdDSA.close()])

// The route, bare and behind the plugin, served by a process of its own.
const port = await freePort()
const server = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./server.ts', import.meta.url))], {
  env: { PATH: process.env.PATH, STUB_URL: stub.url, FEED_TOKEN: stub.feedToken, SECRET, ISSUER, AUDIENCE, PORT: String(port) },
  stdio: ['ignore', 'pipe', 'inherit'],
})
await new Promise<void>((resolve, reject) => {
  server.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve())
  server.once('exit', (code) => reject(new Error(`the bench server exited (${code})`)))
})
const base = `http://127.0.0.1:${port}`
/** A load run and the server's CPU time per request during it (µs). */
async function load(path: string, tokens: readonly string[]): Promise<{ result: Result; cpuPerRequest: number }> {
  const cpu = async () => {
    const { user, system } = (await (await fetch(`${base}/cpu`)).json()) as NodeJS.CpuUsage
    return user + system
  }
  const before = await cpu()
  const result = await cannon(`${base}${path}`, [...tokens])
  if (result.non2xx > 0) throw new Error(`${path}: ${result.non2xx} answers were not 2xx`)
  return { result, cpuPerRequest: ((await cpu()) - before) / result.requests.total }
}

const routes: Array<[string, Result, number, number[], number]> = []
const cpuRatios: Array<[string, number]> = []
for (const [name, path, tokens] of [
  ['behind the plugin, HS256', '/hs256', hsTokens],
  ['behind the plugin, EdDSA', '/eddsa', edTokens],
] as const) {
  // Warm-up: every token once, so the runs measure a warm verifier (a token's first verify costs what the library does, above).
  await cannon(`${base}${path}`, [...tokens], true)
  const rounds = []
  for (let round = 0; round < ROUNDS; round++) {
    process.stdout.write(`load: ${name}, round ${round + 1} of ${ROUNDS}...\n`)
    // The bare route gets the same requests, Authorization header and all: the difference is the plugin alone.
    const bare = await load('/bare', tokens)
    const plugin = await load(path, tokens)
    rounds.push({
      bare,
      plugin,
      ratio: plugin.result.requests.average / bare.result.requests.average,
      cpuRatio: bare.cpuPerRequest / plugin.cpuPerRequest,
    })
  }
  const cpuRatio = median(rounds.map((r) => r.cpuRatio))
  rounds.sort((a, b) => a.ratio - b.ratio)
  const { bare, plugin, ratio } = rounds[Math.floor(rounds.length / 2)]!
  if (routes.length === 0) routes.push(['bare route', bare.result, 1, [], bare.cpuPerRequest])
  routes.push([name, plugin.result, ratio, rounds.map((r) => r.ratio), plugin.cpuPerRequest])
  cpuRatios.push([name, cpuRatio])
}
server.kill('SIGTERM')
await stub.close()

const [oursRow, joseRow, fastRow] = rows
console.log(`\n### verify, ops/s (${TOKENS.toLocaleString('en-US')} distinct tokens in rotation, median of ${ROUNDS} × ${SECONDS} s)\n`)
console.log('| | HS256 | EdDSA |')
console.log('|---|---:|---:|')
for (const [name, hs, eddsa] of rows) console.log(`| ${name} | ${fmt(hs)} | ${fmt(eddsa)} |`)
console.log(`| verify ÷ jose | ${times(oursRow![1], joseRow![1])} | ${times(oursRow![2], joseRow![2])} |`)
console.log(`| verify ÷ fast-jwt | ${times(oursRow![1], fastRow![1])} | ${times(oursRow![2], fastRow![2])} |`)
console.log(`\n### Fastify route (autocannon, ${CONNECTIONS} connections, ${SECONDS} s; median of ${ROUNDS} rounds, each against a bare run just before)\n`)
console.log('| route | req/s | p99 ms | req/s ÷ bare | every round | server CPU µs/request | bare CPU ÷ this CPU |')
console.log('|---|---:|---:|---:|---|---:|---:|')
for (const [name, result, ratio, all, cpu] of routes) {
  const cpuRatio = cpuRatios.find(([route]) => route === name)?.[1] ?? 1
  console.log(
    `| ${name} | ${fmt(result.requests.average)} | ${result.latency.p99} | ${ratio.toFixed(2)} | ${all.map((r) => r.toFixed(2)).join(', ')} | ${cpu.toFixed(1)} | ${cpuRatio.toFixed(2)} |`,
  )
}
console.log('\nCPU per request counts only the server process, so it is far less sensitive than req/s to what else the machine runs.')
