// The shared parts of the benchmarks: start processes, drive them with
// autocannon, measure each scenario in rounds against a bare Fastify route run
// just before it, and print the table. Machines are shared and noisy: read the ratios.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon, { type Options, type Result } from 'autocannon'
import pg from 'pg'

export const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
export const serverUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres')
export const duration = Number(process.env.BENCH_SECONDS ?? 5)
export const connections = Number(process.env.BENCH_CONNECTIONS ?? 10)
export const secret = randomBytes(32).toString('base64url')
export const password = 'correct horse battery staple'
export const children: ChildProcess[] = []

export async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

export async function onServer(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl.toString() })
  await client.connect()
  await client.query(sql).finally(() => client.end())
}

export async function start(script: string[], env: Record<string, string>): Promise<string> {
  const port = await freePort()
  // BENCH_SERVER_CPUS (e.g. 0) pins the servers to those CPUs, so a load generator pinned elsewhere does not take their time.
  const pin = process.env.BENCH_SERVER_CPUS
  const [command, args] = pin ? ['taskset', ['-c', pin, process.execPath, ...script]] : [process.execPath, script]
  const child = spawn(command, args, {
    cwd: root,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', PORT: String(port), JWT_SECRET: secret, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  children.push(child)
  const base = `http://127.0.0.1:${port}`
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${base}/healthz`).catch(() => fetch(base))).status < 500) return base
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${script.join(' ')} did not start`)
}

export async function post(base: string, url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(base + url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, body: (res.status === 204 ? null : await res.json()) as any }
}

export function run(options: Options): Promise<Result> {
  return new Promise((resolve, reject) => {
    autocannon({ connections, duration, ...options }, (error, result) => (error ? reject(error) : resolve(result)))
  })
}

export interface Row {
  scenario: string
  result: Result
  /** The bare route's req/s in the same round: what `ratio` compares with. */
  baseline: number
  /** result ÷ the baseline run just before it, in the median round. */
  ratio: number
  note?: string
}

export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
/** A round in which the host took more than this share of the CPU from this VM is measured again. */
export const MAX_STEAL = Number(process.env.BENCH_MAX_STEAL ?? 0.05)
export let discardedRounds = 0

/** CPU time the hypervisor gave to others ("steal", /proc/stat), as a share of all CPU time. */
export async function stealSince(before: number[] | undefined): Promise<{ sample: number[] | undefined; share: number }> {
  const line = await readFile('/proc/stat', 'utf8').then((text) => text.split('\n')[0], () => undefined)
  const sample = line?.split(/\s+/).slice(1, 9).map(Number)
  if (!before || !sample) return { sample, share: 0 }
  const total = sample.reduce((sum, value, i) => sum + value - before[i]!, 0)
  return { sample, share: total > 0 ? (sample[7]! - before[7]!) / total : 0 }
}

/**
 * Runs a scenario in rounds, each right after a fresh baseline run, and keeps
 * the round with the median ratio: a noisy moment spoils one round, not the table.
 */
export async function measure(baselineUrl: string, options: Options): Promise<{ result: Result; ratio: number; baseline: Result }> {
  const rounds = []
  for (let attempt = 0; rounds.length < ROUNDS && attempt < 3 * ROUNDS; attempt++) {
    const { sample } = await stealSince(undefined)
    const baseline = await run({ url: baselineUrl })
    const result = await run(options)
    const { share } = await stealSince(sample)
    if (share > MAX_STEAL && attempt < 3 * ROUNDS - 1) {
      discardedRounds++
      continue
    }
    rounds.push({ result, baseline, ratio: result.requests.average / baseline.requests.average })
  }
  rounds.sort((a, b) => a.ratio - b.ratio)
  return rounds[Math.floor(rounds.length / 2)]!
}

export function report(rows: Row[]): void {
  const errors = (result: Result) => result.errors + result.timeouts + result.non2xx
  console.log(
    `\nkeyturn bench: ${connections} connections, ${duration} s a run, median of ${ROUNDS} rounds, each against ` +
      `a run of the bare Fastify route just before it; Node ${process.version}, ${os.availableParallelism()} cores`,
  )
  console.log('| scenario | req/s | p50 ms | p99 ms | errors | baseline req/s | ratio |')
  console.log('|---|---:|---:|---:|---:|---:|---:|')
  for (const { scenario, result, baseline, ratio } of rows) {
    const cells = [result.requests.average.toFixed(0), result.latency.p50, result.latency.p99, errors(result)]
    console.log(`| ${scenario} | ${cells.join(' | ')} | ${baseline.toFixed(baseline < 1000 ? 1 : 0)} | ${(ratio * 100).toFixed(1)}% |`)
  }
  for (const { scenario, note } of rows) if (note) console.log(`${scenario}: ${note}`)
  console.log(`rounds measured again because the host took over ${MAX_STEAL * 100}% of the CPU (steal): ${discardedRounds}`)
  if (rows.some((row) => errors(row.result) > 0)) process.exitCode = 1
}


/** A database of its own on the Postgres server for one benchmark run; dropped by `dropDatabase`. */
export async function createBenchDatabase(prefix = 'keyturn_bench'): Promise<{ name: string; url: string }> {
  const name = `${prefix}_${Date.now()}`
  await onServer(`CREATE DATABASE ${name}`)
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return { name, url: url.toString() }
}

export async function stopAll(databases: string[] = []): Promise<void> {
  for (const child of children) child.kill('SIGTERM')
  await new Promise((resolve) => setTimeout(resolve, 500))
  for (const name of databases) await onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
}
