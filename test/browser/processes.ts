// Real processes for the browser tests: keyturn (`node --import tsx src/server.ts`)
// and the example page's static server, each on a free port, stopped at teardown.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'

// The same free-port probe and root as the other process tests; what differs
// here is a child that dies with its parent and is read line by line.
import { projectRoot as repoRoot } from '../processes.js'
export { freePort } from '../processes.js'
export { repoRoot }

export interface Child {
  process: ChildProcess
  stdout(): string
  stderr(): string
  /** Calls back with each complete stdout line, including the ones already printed. */
  onLine(listener: (line: string) => void): void
  exited: Promise<void>
  running(): boolean
}

const exitWithParent = fileURLToPath(new URL('./exit-with-parent.mjs', import.meta.url))

/**
 * Spawns `node <args>` from the repo root with only this environment (plus
 * PATH and HOME); stopped at teardown, and by itself if this process dies.
 */
export function spawnNode(t: Test, args: string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--import', exitWithParent, ...args], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? os.tmpdir(),
      // tap adds its processinfo loader to children; coverage of these servers costs more than they take to run.
      _TAPJS_PROCESSINFO_COVERAGE_: '0',
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  let partial = ''
  const lines: string[] = []
  const listeners: Array<(line: string) => void> = []
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    const parts = (partial + chunk).split('\n')
    partial = parts.pop() ?? ''
    for (const line of parts) {
      lines.push(line)
      for (const listener of listeners) listener(line)
    }
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const running = () => child.exitCode === null && child.signalCode === null
  t.teardown(async () => {
    if (!running()) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  })
  return {
    process: child,
    stdout: () => stdout,
    stderr: () => stderr,
    onLine(listener) {
      lines.forEach(listener)
      listeners.push(listener)
    },
    exited,
    running,
  }
}

/** Resolves when `ready` returns true for a stdout line; rejects if the process exits first or `ms` pass. */
export function waitForLine(child: Child, ready: (line: string) => boolean, what: string, ms = 90_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let done = false
    const finish = (error?: Error) => {
      if (done) return
      done = true
      clearTimeout(timer)
      if (error) reject(error)
      else resolve()
    }
    const timer = setTimeout(() => finish(new Error(`${what}: not within ${ms} ms\nstdout:\n${child.stdout()}\nstderr:\n${child.stderr()}`)), ms)
    child.onLine((line) => ready(line) && finish())
    void child.exited.then(() => finish(new Error(`${what}: the process exited\nstdout:\n${child.stdout()}\nstderr:\n${child.stderr()}`)))
  })
}

export const randomName = (prefix: string) => `${prefix}_${randomBytes(5).toString('hex')}`

/** `count` distinct free ports (all held open together while chosen, so none repeats). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = net.createServer()
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(0, '127.0.0.1', resolve)
      })
      return server
    }),
  )
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port)
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))))
  return ports
}
