// npm run bench (after bench/run.ts): what signing with EdDSA or ES256 keys
// costs beside HS256. keyturn instances on Postgres, one per key and a second
// HS256 one as a control, each on a database of its own: login, refresh and
// POST /verify on each, run in rounds beside each other and the bare Fastify
// route (harness.ts). A key's share of HS256 (both instances) is taken within
// each round, by throughput and by server CPU per request; the control's share
// of the first HS256 shows how far two identical instances differ here. BENCH_PIN=1 pins the servers to CPU 0
// and this driver (autocannon) to CPU 1 with taskset.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import os from 'node:os'
import type { Options, Result } from 'autocannon'
import {
  children,
  connections,
  createBenchDatabase,
  password,
  post,
  report,
  ROUNDS,
  run,
  start,
  stopAll,
  type Row,
} from './harness.js'

type Signer = 'HS256' | 'EdDSA' | 'ES256'
const REFERENCE = 'HS256'
const CONTROL = 'HS256 again (control)'
/**
 * The instances, by label. The second HS256 instance is the control: it runs
 * exactly what the first does, so its share of HS256 is the noise of the
 * machine, the yardstick for the keys' shares.
 */
const INSTANCES: { label: string; signer: Signer }[] = [
  { label: 'HS256', signer: 'HS256' },
  { label: CONTROL, signer: 'HS256' },
  { label: 'EdDSA', signer: 'EdDSA' },
  { label: 'ES256', signer: 'ES256' },
]

/** The signing environment of an instance: JWT_SECRET alone, or one private key (JWT_KEYS) and no secret. */
function signingEnv(signer: Signer): Record<string, string> {
  if (signer === 'HS256') return {}
  const pair = signer === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = { ...pair.privateKey.export({ format: 'jwk' }), kid: `bench-${signer}-${randomBytes(4).toString('hex')}`, alg: signer }
  return { JWT_KEYS: JSON.stringify({ keys: [jwk] }), JWT_SECRET: '' }
}

function pin(pid: number, cpus: string): void {
  execFileSync('taskset', ['-cp', cpus, String(pid)], { stdio: 'ignore' })
}

interface Instance {
  label: string
  signer: Signer
  url: string
  pid: number
  access: string
  /** Refresh tokens of sessions kept for the refresh runs: a run that stops drops the chains in flight, these replace them. */
  reserve: string[]
}

async function startInstance({ label, signer }: { label: string; signer: Signer }, index: number, databases: string[]): Promise<Instance> {
  const database = await createBenchDatabase(`keyturn_bench_keys_${index}`)
  databases.push(database.name)
  const url = await start(['dist/src/server.js'], {
    DATABASE_URL: database.url,
    MIGRATE_ON_START: 'true',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    RATE_LIMIT_ENABLED: 'false',
    PRUNE_INTERVAL: '0',
    ...signingEnv(signer),
  })
  const pid = children.at(-1)!.pid!
  const registered = await post(url, '/v1/auth/register', { username: 'bench', password })
  const access = registered.body.tokens.access_token as string
  const header = JSON.parse(Buffer.from(access.split('.')[0]!, 'base64url').toString('utf8'))
  if (header.alg !== signer) throw new Error(`${signer} instance signed with ${header.alg}`)
  const reserve: string[] = []
  const logins = []
  for (let i = 0; i < (3 * ROUNDS + 2) * connections; i++) {
    logins.push(post(url, '/v1/auth/login', { username: 'bench', password }).then((res) => reserve.push(res.body.tokens.refresh_token)))
    if (logins.length >= 4) await Promise.all(logins.splice(0))
  }
  await Promise.all(logins)
  return { label, signer, url, pid, access, reserve }
}

/** Each answer's new refresh token goes back in the queue, so every request presents a live token (see bench/run.ts). */
function refreshOptions(instance: Instance): Options {
  const ready: string[] = []
  return {
    url: `${instance.url}/v1/auth/refresh`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (request) => ({ ...request, body: JSON.stringify({ refresh_token: ready.shift() ?? instance.reserve.shift() }) }),
        onResponse: (status, body) => {
          if (status === 200) ready.push(JSON.parse(body).tokens.refresh_token)
        },
      },
    ],
  }
}

const json = (url: string, body: unknown): Options => ({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

const scenarios: { name: string; options: (instance: Instance) => Options }[] = [
  { name: 'POST /v1/auth/login', options: (instance) => json(`${instance.url}/v1/auth/login`, { username: 'bench', password }) },
  { name: 'POST /v1/auth/refresh', options: refreshOptions },
  { name: 'POST /v1/auth/verify (cached)', options: (instance) => json(`${instance.url}/v1/auth/verify`, { token: instance.access }) },
]

const targets: { scenario: string; label: string; atLeast: number }[] = [
  { scenario: 'POST /v1/auth/refresh', label: 'EdDSA', atLeast: 0.8 },
  { scenario: 'POST /v1/auth/verify (cached)', label: 'EdDSA', atLeast: 0.9 },
]

const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())

/** CPU milliseconds (user + system) a process has used: what a request costs the server, however busy the host is. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS
}

/** A run, and the server CPU it cost per request answered, in microseconds. */
async function costed(instance: Instance, options: Options): Promise<{ result: Result; cpuUs: number }> {
  const before = cpuMs(instance.pid)
  const result = await run(options)
  return { result, cpuUs: ((cpuMs(instance.pid) - before) * 1000) / Math.max(1, result.requests.total) }
}

const median = (values: number[]) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/**
 * One scenario on every instance, in rounds: each round runs the bare route,
 * then each instance (in alternating order, so a drifting host favours none),
 * and a key's share of HS256 is taken within the round. The table keeps each
 * instance's median round.
 */
async function compare(bare: string, name: string, instances: Instance[], options: (instance: Instance) => Options) {
  const prepared = instances.map((instance) => ({ instance, options: options(instance) }))
  for (const { options } of prepared) await run(options)
  const rounds: { baseline: number; results: Map<string, { result: Result; cpuUs: number }> }[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const baseline = (await run({ url: bare })).requests.average
    const results = new Map<string, { result: Result; cpuUs: number }>()
    for (const { instance, options } of round % 2 === 0 ? prepared : prepared.slice().reverse()) results.set(instance.label, await costed(instance, options))
    rounds.push({ baseline, results })
  }
  const throughput = (round: (typeof rounds)[number], label: string) => round.results.get(label)!.result.requests.average
  const rows: Row[] = instances.map(({ label }) => {
    const middle = rounds.slice().sort((a, b) => throughput(a, label) - throughput(b, label))[Math.floor(rounds.length / 2)]!
    const { result } = middle.results.get(label)!
    const cpu = median(rounds.map((round) => round.results.get(label)!.cpuUs))
    return { scenario: `${name}, ${label}`, result, baseline: middle.baseline, ratio: result.requests.average / middle.baseline, note: `${cpu.toFixed(0)} µs of server CPU a request (median)` }
  })
  // A key is compared with both HS256 instances (their mean in the round), the
  // control with the first: how far two identical instances differ here.
  const cpuUs = (round: (typeof rounds)[number], label: string) => round.results.get(label)!.cpuUs
  const against = (round: (typeof rounds)[number], label: string, measure: typeof throughput) =>
    label === CONTROL ? measure(round, REFERENCE) : (measure(round, REFERENCE) + measure(round, CONTROL)) / 2
  const shares = new Map(
    instances.map(({ label }) => [
      label,
      {
        throughput: median(rounds.map((round) => throughput(round, label) / against(round, label, throughput))),
        cpu: median(rounds.map((round) => against(round, label, cpuUs) / cpuUs(round, label))),
      },
    ]),
  )
  return { rows, shares }
}

async function main(): Promise<void> {
  const databases: string[] = []
  try {
    const baseline = await start(['--import', 'tsx', 'bench/baseline.ts'], {})
    const instances: Instance[] = []
    for (const [index, instance] of INSTANCES.entries()) instances.push(await startInstance(instance, index, databases))
    const pinned = process.env.BENCH_PIN === '1'
    const allCpus = `0-${os.availableParallelism() - 1}`
    if (pinned) {
      for (const child of children) pin(child.pid!, '0')
      pin(process.pid, '1')
    }

    const bare = `${baseline}/`
    await run({ url: bare })
    const rows: Row[] = []
    const shares = new Map<string, Map<string, { throughput: number; cpu: number }>>()
    for (const scenario of scenarios) {
      const compared = await compare(bare, scenario.name, instances, scenario.options)
      rows.push(...compared.rows)
      shares.set(scenario.name, compared.shares)
    }
    // The report names the cores this process may use: all of them again.
    if (pinned) pin(process.pid, allCpus)
    report(rows)

    console.log(
      `\nEach key against the two HS256 instances (the control against the first) within each round, median of ${ROUNDS}` +
        `${pinned ? ' (servers on CPU 0, autocannon on CPU 1)' : ''}: throughput share, and HS256's server CPU ` +
        'per request ÷ the key\'s (the share a CPU-bound server would get, whatever else the host runs)',
    )
    console.log('| scenario | instance | throughput share | CPU share | target | met (CPU share) |')
    console.log('|---|---|---:|---:|---:|---|')
    for (const scenario of scenarios) {
      for (const { label } of INSTANCES.filter((instance) => instance.label !== REFERENCE)) {
        const share = shares.get(scenario.name)!.get(label)!
        const target = targets.find((candidate) => candidate.scenario === scenario.name && candidate.label === label)
        const met = target ? (share.cpu >= target.atLeast ? 'yes' : 'NO') : '–'
        const cells = [scenario.name, label, `${(share.throughput * 100).toFixed(1)}%`, `${(share.cpu * 100).toFixed(1)}%`, target ? `≥ ${target.atLeast * 100}%` : '–', met]
        console.log(`| ${cells.join(' | ')} |`)
        if (target && share.cpu < target.atLeast) process.exitCode = 1
      }
    }
    const remaining = instances.map((instance) => `${instance.label} ${instance.reserve.length}`).join(', ')
    console.log(`\nrefresh tokens left in reserve (chains to replace those dropped at the stops): ${remaining}`)
  } finally {
    await stopAll(databases)
  }
}

await main()
