// `npm start` and `npm run migrate`: run the built service from dist/, and
// compile it first only when dist/ is missing or older than its sources (a
// fresh clone, a `git pull`). Plain JavaScript, so it runs where the dev
// dependencies are not installed (NODE_ENV=production npm ci). The entry is
// imported into this very process: npm's `exec node …` makes it the process
// npm signals, so SIGTERM to `npm start` reaches the server and drains it.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const entries = { server: 'dist/src/server.js', cli: 'dist/src/cli/index.js' }
const sourceDirs = ['src', 'migrations']

/** Why dist/ must be built again, or undefined when every source has a newer output. */
export function staleness(dir = root) {
  for (const sourceDir of sourceDirs) {
    const base = path.join(dir, sourceDir)
    if (!existsSync(base)) continue // an image holds dist/ only
    for (const file of readdirSync(base, { recursive: true })) {
      if (!file.endsWith('.ts') || file.endsWith('.d.ts')) continue
      const source = path.join(base, file)
      const output = path.join(dir, 'dist', sourceDir, file.replace(/\.ts$/, '.js'))
      if (!existsSync(output)) return `dist/ has no ${path.relative(dir, output)}`
      if (statSync(source).mtimeMs > statSync(output).mtimeMs) return `${sourceDir}/${file} is newer than dist/`
    }
  }
  return undefined
}

function build(reason) {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  if (!existsSync(tsc)) {
    console.error(
      `keyturn: ${reason}, and the TypeScript compiler is not installed (NODE_ENV=production npm ci leaves it out).\n` +
        'Build once with the dev dependencies: npm ci && npm run build, then install for production.',
    )
    process.exit(1)
  }
  console.error(`keyturn: ${reason}: building (tsc -p tsconfig.build.json)`)
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) process.exit(result.status ?? 1)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const name = process.argv[2]
  const entry = entries[name]
  if (!entry) {
    console.error(`usage: node scripts/run-built.mjs <${Object.keys(entries).join(' | ')}> [arguments]`)
    process.exit(2)
  }
  const reason = staleness()
  if (reason) build(reason)
  // The entry reads its own arguments from argv[2] on, as if started directly.
  process.argv.splice(1, 2, path.join(root, entry))
  await import(pathToFileURL(path.join(root, entry)).href)
}
