import { configTable } from './table.js'
import { allVariables } from './variable.js'

export const TABLE_START = '<!-- configuration table: generated from src/config by `npm run docs:config` -->'
export const TABLE_END = '<!-- end of configuration table -->'

/** The README's configuration table, one row per declared variable. */
export function configurationTable(): string {
  const rows = allVariables(configTable).map((variable) => {
    const replaces = 'replaces' in variable && variable.replaces ? `\`${variable.replaces}\`` : '–'
    return `| \`${variable.env}\` | ${variable.defaultDoc} | ${replaces} | ${variable.doc} |`
  })
  return [
    TABLE_START,
    '| variable | default | replaces (JWT_AUTH) | meaning |',
    '|---|---|---|---|',
    ...rows,
    TABLE_END,
  ].join('\n')
}

/** README text with its table replaced by the generated one. */
export function withConfigurationTable(readme: string): string {
  const start = readme.indexOf(TABLE_START)
  const end = readme.indexOf(TABLE_END)
  if (start < 0 || end < start) throw new Error(`README.md has no "${TABLE_START}" … "${TABLE_END}" block`)
  return readme.slice(0, start) + configurationTable() + readme.slice(end + TABLE_END.length)
}
