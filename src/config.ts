import { crossChecks } from './config/checks.js'
import { configTable } from './config/table.js'
import { isVariable, type ConfigOf, type Env, type ProductionScope, type Section, type Variable, type VariableFamily } from './config/variable.js'

export type { Env } from './config/variable.js'

/** The validated, frozen configuration: its shape is configTable's (config/table.ts). */
export type Config = ConfigOf<typeof configTable>

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`)
    this.name = 'ConfigError'
  }
}

export interface LoadOptions {
  /**
   * The process signs tokens (the service; not `keyturn migrate` or an
   * import): production then also needs a signing key.
   */
  signs?: boolean
  /**
   * Which production rules apply (see ProductionScope); all by default, as
   * for the service. A CLI command names what it does, so that production
   * does not refuse it for what only the service would get wrong.
   */
  scopes?: readonly ProductionScope[]
}

/** Reads and validates the environment once; every problem is reported with its variable's name. */
export function loadConfig(env: Env = process.env, options: LoadOptions = {}): Config {
  const problems: string[] = []
  const production = env.NODE_ENV?.trim() === 'production'
  const scopes = new Set<ProductionScope>(options.scopes ?? ['serving', 'signing', 'mailing'])

  function read(node: Variable<unknown> | VariableFamily<unknown>): unknown {
    if (node.kind === 'family') {
      const values: Record<string, unknown> = {}
      for (const name of Object.keys(env).filter(node.matches)) {
        const value = readOne(name, node.parse, undefined)
        if (value !== undefined) values[name] = value
      }
      return values
    }
    const raw = env[node.env]
    const set = raw !== undefined && raw.trim() !== ''
    const value = set ? readOne(node.env, node.parse, node.fallback(env)) : node.fallback(env)
    const problem = node.check?.(value, env) ?? (production && scopes.has(node.productionScope) ? node.production?.(value, set, env) : undefined)
    if (problem) problems.push(`${node.env} ${problem}`)
    return value
  }

  function readOne<T>(name: string, parse: (raw: string) => T, fallback: T): T {
    try {
      return parse(env[name]!)
    } catch (error) {
      problems.push(`${name} ${(error as Error).message}`)
      return fallback
    }
  }

  function build(section: Section): Record<string, unknown> {
    return Object.fromEntries(
      Object.entries(section).map(([key, node]) => [key, isVariable(node) ? read(node) : build(node as Section)]),
    )
  }

  const config = build(configTable) as unknown as Config
  for (const check of crossChecks) {
    const problem = check(config, options)
    if (problem) problems.push(problem)
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return deepFreeze(config)
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}
