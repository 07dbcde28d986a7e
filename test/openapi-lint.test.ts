// openapi.yaml through a linter nobody here wrote: Redocly's recommended
// ruleset, as redocly.yaml configures it (each rule switched off there says
// why). A YAML slip such as an unquoted comma inside `{…}` turns a
// description into a mapping with bogus keys, which this catches.
import path from 'node:path'
import { lint, loadConfig } from '@redocly/openapi-core'
import t from 'tap'
import { projectRoot } from './processes.js'

t.test('openapi.yaml lints clean with the recommended ruleset', async (t) => {
  const config = await loadConfig({ configPath: path.join(projectRoot, 'redocly.yaml') })
  const problems = await lint({ ref: path.join(projectRoot, 'openapi.yaml'), config })
  const listed = problems.map((problem) => `${problem.severity} ${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer}`)
  t.same(listed, [], 'no errors and no warnings')
})

t.test('redocly.yaml gives a reason for each rule it switches off', async (t) => {
  const { readFile } = await import('node:fs/promises')
  const lines = (await readFile(path.join(projectRoot, 'redocly.yaml'), 'utf8')).split('\n')
  const off = lines.flatMap((line, index) => (/^\s+[\w-]+: off\s*$/.test(line) ? [index] : []))
  t.ok(off.length > 0)
  for (const index of off) t.match(lines[index - 1], /^\s+#/, `${lines[index]!.trim()} follows a comment`)
})
