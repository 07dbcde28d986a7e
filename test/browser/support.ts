// The browser tests' world: Debian's Chromium driven by playwright-core, the
// example page served by its own server, keyturn as a real process.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { chromium, type Browser } from 'playwright-core'
import type { Test } from 'tap'
import { freePort, repoRoot, spawnNode, waitForLine } from './processes.js'

export { startKeyturn, type Keyturn, type LoggedRequest } from './keyturn-process.js'
export { freePort, freePorts } from './processes.js'

const run = promisify(execFile)

export const chromiumPath = '/usr/bin/chromium'
/** A host name Chromium resolves to 127.0.0.1: a page there is on another site than 127.0.0.1's pages. */
export const otherSiteHost = 'attacker.test'

/**
 * Headless Chromium. playwright launches it with a fresh temporary profile
 * (user-data-dir) of its own and removes it at close; the flags keep it from
 * calling home, which on this closed network only floods refused connections.
 */
export async function launchChromium(t: Test): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install chromium (.ci/run does)`)
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--host-resolver-rules=MAP ${otherSiteHost} 127.0.0.1`,
    ],
  })
  t.teardown(() => browser.close())
  return browser
}

/** Builds packages/browser into its dist/, which the example page loads: the tests run today's source. */
export async function buildBrowserPackage(): Promise<void> {
  const tsc = path.join(repoRoot, 'node_modules', '.bin', 'tsc')
  // tap's processinfo puts its loaders into every child's NODE_OPTIONS, and
  // they cannot load the compiler's ESM entry: the shell drops them first.
  const { stdout, stderr } = await run('sh', ['-c', 'unset NODE_OPTIONS; exec "$0" "$@"', tsc, '-p', path.join(repoRoot, 'packages', 'browser', 'tsconfig.json')]).catch(
    (error: { stdout?: string; stderr?: string }) => {
      throw new Error(`building @keyturn/browser failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`)
    },
  )
  if (stdout || stderr) throw new Error(`building @keyturn/browser printed:\n${stdout}${stderr}`)
}

export interface PageServer {
  /** http://127.0.0.1:<port> */
  origin: string
  port: number
}

/** The example page's server (examples/spa/server.js) on `port`; with `proxyTo`, it forwards /v1/* to that keyturn. */
export async function startPageServer(t: Test, { port, proxyTo }: { port?: number; proxyTo?: string } = {}): Promise<PageServer> {
  const listenOn = port ?? (await freePort())
  const child = spawnNode(t, ['examples/spa/server.js'], { PORT: String(listenOn), ...(proxyTo ? { KEYTURN_PROXY: proxyTo } : {}) })
  await waitForLine(child, (line) => line.includes('"listening"'), `the page server on port ${listenOn}`)
  return { origin: `http://127.0.0.1:${listenOn}`, port: listenOn }
}

/**
 * Does keyturn answer a preflight from `origin` the way a page needs (the
 * origin allowed, with credentials when asked)? The tests that go through
 * CORS run only when it does, so they start once the server side lands.
 */
export async function corsAllows(keyturnUrl: string, origin: string, { credentials = false } = {}): Promise<boolean> {
  const response = await fetch(`${keyturnUrl}/v1/auth/login`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  })
  await response.arrayBuffer()
  const allowOrigin = response.headers.get('access-control-allow-origin')
  const allowCredentials = response.headers.get('access-control-allow-credentials') === 'true'
  return response.ok && allowOrigin === origin && (!credentials || allowCredentials)
}
