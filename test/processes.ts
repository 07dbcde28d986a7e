// Real processes for tests: keyturn (or any node script) spawned as a child,
// driven over HTTP and signals, its pino log read back. Every wait here is on
// an event or a readiness probe with a deadline, never a fixed sleep; the
// deadlines are generous, since the suite runs on loaded machines (a start
// that takes 2 s idle can take 30), and cost nothing when things go right.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TestLike } from './helper.js'

export const projectRoot = fileURLToPath(new URL('..', import.meta.url))

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface Child {
  child: ChildProcess
  port: number
  url: string
  stdout(): string
  stderr(): string
  exited: Promise<Exit>
}

export async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export async function tempDir(t: TestLike, prefix = 'keyturn-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

export interface SpawnOptions {
  /** What to run: node by default (this very binary), or e.g. 'npm'. */
  command?: string
  /** Its arguments, e.g. ['--import', 'tsx', 'src/server.ts'] for node. */
  args: string[]
  /** The whole environment, but PATH, HOME and PORT (which is chosen here unless given). */
  env: Record<string, string>
  cwd?: string
  port?: number
}

/** Spawns node (or options.command) with exactly this environment (plus PATH and HOME); stopped at teardown. */
export async function spawnNode(t: TestLike, options: SpawnOptions): Promise<Child> {
  const port = options.port ?? (await freePort())
  const child = spawn(options.command ?? process.execPath, options.args, {
    cwd: options.cwd ?? projectRoot,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? os.tmpdir(),
      PORT: String(port),
      // tap's processinfo adds itself to every child; V8 coverage of these processes would cost more than they take to run.
      _TAPJS_PROCESSINFO_COVERAGE_: '0',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  const spawned: Child = { child, port, url: `http://127.0.0.1:${port}`, stdout: () => stdout, stderr: () => stderr, exited }
  t.teardown(() => stop(spawned))
  return spawned
}

/** keyturn itself, from source: `node --import tsx src/server.ts` with this environment. */
export function startKeyturn(t: TestLike, env: Record<string, string>, options: { port?: number } = {}): Promise<Child> {
  return spawnNode(t, { args: ['--import', 'tsx', 'src/server.ts'], env, ...options })
}

export function running(spawned: Child): boolean {
  return spawned.child.exitCode === null && spawned.child.signalCode === null
}

/** The exit, or undefined if it has not come within ms (the timer does not outlive the wait). */
export async function exitWithin(spawned: Child, ms: number): Promise<Exit | undefined> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms, undefined)))
  try {
    return await Promise.race([spawned.exited, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** SIGTERM, then SIGKILL if it does not go (in a while: a loaded machine drains slowly). */
export async function stop(spawned: Child): Promise<void> {
  if (!running(spawned)) return
  spawned.child.kill('SIGTERM')
  if (!(await exitWithin(spawned, 20_000))) {
    spawned.child.kill('SIGKILL')
    await spawned.exited
  }
}

export async function waitExit(spawned: Child, ms = 90_000): Promise<Exit> {
  const result = await exitWithin(spawned, ms)
  if (!result) throw new Error(`the process did not exit within ${ms} ms\nstdout:\n${spawned.stdout()}\nstderr:\n${spawned.stderr()}`)
  return result
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `probe` (default GET /healthz) until it answers 200; fails at once if the process exits. */
export async function waitReady(spawned: Child, { probe = '/healthz', ms = 120_000 } = {}): Promise<void> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (!running(spawned)) {
      throw new Error(`the process exited (${spawned.child.exitCode ?? spawned.child.signalCode}) before it was ready:\n${spawned.stderr()}`)
    }
    try {
      const res = await fetch(`${spawned.url}${probe}`, { signal: AbortSignal.timeout(5_000) })
      await res.arrayBuffer()
      if (res.status === 200) return
    } catch {
      // not listening yet, or too busy to answer in time
    }
    await pause(100)
  }
  throw new Error(`the process was not ready within ${ms} ms\nstdout:\n${spawned.stdout()}\nstderr:\n${spawned.stderr()}`)
}

export interface LogLine {
  level: number
  time: number
  msg: string
  [key: string]: unknown
}

/** Every stdout line, parsed: a line that is not JSON throws. */
export function logLines(spawned: Child): LogLine[] {
  return spawned
    .stdout()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LogLine)
}

export async function waitForLog(spawned: Child, predicate: (line: LogLine) => boolean, ms = 60_000): Promise<LogLine> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const line = logLines(spawned).find(predicate)
    if (line) return line
    if (!running(spawned)) break
    await pause(20)
  }
  throw new Error(`no such log line within ${ms} ms:\n${spawned.stdout()}`)
}

/** Whether a new TCP connection to the port is accepted. */
export function connect(port: number): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve('connected')
    })
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
  })
}

export interface Answer {
  status: number
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any
  headers: Headers
}

/** One HTTP request to a child; a JSON body in, the JSON (or nothing) out. */
export async function request(
  spawned: Pick<Child, 'url'>,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(`${spawned.url}${url}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  })
  const text = await res.text()
  let parsed: unknown
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    parsed = text
  }
  return { status: res.status, body: parsed, headers: res.headers }
}
