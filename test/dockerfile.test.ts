// The Dockerfile read against the repository, since no test here runs Docker:
// every stage that runs `npm ci` has each workspace's package.json (or the
// lockfile does not match and npm ci stops), the image is on a current Node,
// and `keyturn` is on its PATH as the README uses it.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { projectRoot } from './processes.js'

const dockerfile = readFileSync(path.join(projectRoot, 'Dockerfile'), 'utf8')
const pkg = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { workspaces: string[]; engines: { node: string } }

/** packages/*, examples/*: the folders holding a package.json. */
function workspaceDirs(): string[] {
  return pkg.workspaces.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [pattern]
    const parent = pattern.slice(0, -2)
    return readdirSync(path.join(projectRoot, parent))
      .map((name) => `${parent}/${name}`)
      .filter((dir) => existsSync(path.join(projectRoot, dir, 'package.json')))
  })
}

/** The stages, each as its lines with continuations joined. */
function stages(): { from: string; lines: string[] }[] {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
  const result: { from: string; lines: string[] }[] = []
  for (const line of lines) {
    if (/^FROM\s/i.test(line)) result.push({ from: line, lines: [] })
    else result.at(-1)?.lines.push(line)
  }
  return result
}

const args = Object.fromEntries([...dockerfile.matchAll(/^ARG\s+(\w+)=(\S+)/gm)].map((match) => [match[1], match[2]]))
const expand = (text: string) => text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => args[a ?? b] ?? '')

t.test('every stage that runs npm ci has every workspace package.json first', async (t) => {
  const dirs = workspaceDirs()
  t.ok(dirs.length >= 4, `the workspaces: ${dirs.join(', ')}`)
  const installing = stages().filter((stage) => stage.lines.some((line) => /^RUN .*npm ci\b/.test(line)))
  t.ok(installing.length >= 2, 'the build and the production dependencies both install')
  for (const stage of installing) {
    const ci = stage.lines.findIndex((line) => /^RUN .*npm ci\b/.test(line))
    const copies = stage.lines.slice(0, ci).filter((line) => /^COPY\s/.test(line)).join('\n')
    t.match(copies, /package-lock\.json/, `${stage.from}: the lockfile`)
    for (const dir of dirs) t.match(copies, `${dir}/package.json`, `${stage.from}: ${dir}/package.json before npm ci`)
  }
})

t.test('the image runs on the current Node LTS, with keyturn on the PATH', async (t) => {
  for (const stage of stages()) {
    const image = expand(stage.from.split(/\s+/)[1]!)
    const major = Number(/^node:(\d+)/.exec(image)?.[1])
    t.ok(major >= 24, `${stage.from} (${image}): Node 24 or later`)
  }
  const final = stages().at(-1)!
  t.match(final.lines.join('\n'), /ln -s \/app\/dist\/src\/cli\/index\.js \/usr\/local\/bin\/keyturn/, 'keyturn is linked onto the PATH')
  t.match(final.lines.join('\n'), /chmod \+x \/app\/dist\/src\/cli\/index\.js/, 'and executable')
  t.match(readFileSync(path.join(projectRoot, 'src', 'cli', 'index.ts'), 'utf8'), /^#!\/usr\/bin\/env node\n/, 'which the shebang makes runnable')
  t.match(final.lines.join('\n'), /^USER node$/m, 'as the unprivileged node user')
  t.match(final.lines.join('\n'), /ENV NODE_ENV=production/, 'in production')
})

t.test('the build context keeps what the Dockerfile copies', async (t) => {
  const ignored = readFileSync(path.join(projectRoot, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim())
  const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) => match[1]!.split(/\s+/))
  for (const source of copied) {
    t.ok(existsSync(path.join(projectRoot, source)), `${source} exists`)
    t.notOk(ignored.includes(source.split('/')[0]!), `${source} is not in .dockerignore`)
  }
})
