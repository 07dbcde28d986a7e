// One environment variable, declared once: its name, how its text becomes a
// value, its default, what it means, and what production refuses. The Config
// type, the validation, the README table and the production refusals all come
// from these declarations (see table.ts).

export type Env = Record<string, string | undefined>

/**
 * What a production rule protects: the running service (the default), the
 * signing of tokens, or the sending of mails. A CLI command that neither
 * serves, signs nor mails (`keyturn migrate`, an import) is not refused for
 * what only those would get wrong.
 */
export type ProductionScope = 'serving' | 'signing' | 'mailing'

export interface Variable<T> {
  readonly kind: 'variable'
  readonly env: string
  /** Text → value; throws an Error whose message completes "VARIABLE …". */
  readonly parse: (raw: string) => T
  /** The value when the variable is unset or blank. */
  readonly fallback: (env: Env) => T
  /** The default as the README shows it. */
  readonly defaultDoc: string
  readonly doc: string
  /** The JWT_AUTH / simplejwt setting it takes the place of, for the README. */
  readonly replaces: string | undefined
  /** Why production (NODE_ENV=production) refuses this value; `set` tells a default from a choice. */
  readonly production: ((value: T, set: boolean, env: Env) => string | undefined) | undefined
  readonly productionScope: ProductionScope
  /** Why this value does not go with the rest of the environment, in any mode. */
  readonly check: ((value: T, env: Env) => string | undefined) | undefined
}

/** Several variables sharing a prefix (RATE_LIMIT_<BUCKET>_<KEY>), read into one record. */
export interface VariableFamily<T> {
  readonly kind: 'family'
  /** How the README names the family, e.g. RATE_LIMIT_<BUCKET>_<KEY>. */
  readonly env: string
  readonly matches: (name: string) => boolean
  readonly parse: (raw: string) => T
  readonly defaultDoc: string
  readonly doc: string
}

export interface VariableOptions<T> {
  /**
   * The default: text read by the same parser (so it is shown and checked as
   * a user would write it), or a value with the text the README shows.
   */
  default?: string | { value: T | ((env: Env) => T); doc: string }
  doc: string
  replaces?: string
  production?: (value: T, set: boolean, env: Env) => string | undefined
  /** Default `serving`. */
  productionScope?: ProductionScope
  check?: (value: T, env: Env) => string | undefined
}

export function variable<T>(env: string, parse: (raw: string) => T, options: VariableOptions<T>): Variable<T> {
  const given = options.default
  let fallback: (env: Env) => T
  let defaultDoc: string
  if (typeof given === 'string') {
    const value = parse(given)
    fallback = () => value
    defaultDoc = `\`${given}\``
  } else if (given !== undefined) {
    const { value } = given
    fallback = typeof value === 'function' ? (value as (env: Env) => T) : () => value
    defaultDoc = given.doc
  } else {
    fallback = () => undefined as T
    defaultDoc = '–'
  }
  return {
    kind: 'variable',
    env,
    parse,
    fallback,
    defaultDoc,
    doc: options.doc,
    replaces: options.replaces,
    production: options.production,
    productionScope: options.productionScope ?? 'serving',
    check: options.check,
  }
}

/** A variable that may be left unset: its value is then undefined. */
export function optional<T>(
  env: string,
  parse: (raw: string) => T,
  options: Omit<VariableOptions<T | undefined>, 'default'> & { defaultDoc?: string },
): Variable<T | undefined> {
  return variable<T | undefined>(env, parse, {
    ...options,
    default: { value: undefined, doc: options.defaultDoc ?? '–' },
  })
}

export function family<T>(
  env: string,
  matches: (name: string) => boolean,
  parse: (raw: string) => T,
  options: { defaultDoc: string; doc: string },
): VariableFamily<T> {
  return { kind: 'family', env, matches, parse, ...options }
}

/** A section of the table: variables and further sections, nested as Config is. */
export interface Section {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a table mixes every value type
  readonly [key: string]: Variable<any> | VariableFamily<any> | Section
}

/** The configuration a table describes. */
export type ConfigOf<S> = {
  readonly [K in keyof S]: S[K] extends Variable<infer T>
    ? T
    : S[K] extends VariableFamily<infer T>
      ? Readonly<Record<string, T>>
      : ConfigOf<S[K]>
}

export function isVariable(node: Section[string]): node is Variable<unknown> | VariableFamily<unknown> {
  const kind = (node as { kind?: unknown }).kind
  return kind === 'variable' || kind === 'family'
}

/** Every variable of a table, in order. */
export function allVariables(section: Section): (Variable<unknown> | VariableFamily<unknown>)[] {
  return Object.values(section).flatMap((node) => (isVariable(node) ? [node] : allVariables(node as Section)))
}
