import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The folder holding package.json and openapi.yaml, whether we run from src/ (tsx) or dist/src/ (built). */
export const packageRoot = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)))

/** migrations/ beside src/: the TypeScript files under tsx, the compiled ones under dist/. */
export const migrationsDir = fileURLToPath(new URL('../migrations', import.meta.url))

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${start}`)
  }
}
