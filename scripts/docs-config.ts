// npm run docs:config: rewrites README.md's configuration table from src/config.
import { readFile, writeFile } from 'node:fs/promises'
import { withConfigurationTable } from '../src/config/readme-table.js'

const file = new URL('../README.md', import.meta.url)
await writeFile(file, withConfigurationTable(await readFile(file, 'utf8')))
