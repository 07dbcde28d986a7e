import { createQueryId, type CompiledQuery, type Compilable } from 'kysely'
import type { Executor } from './transaction.js'

/** Where a value goes in a precompiled query; compiled into a parameter like any value. */
class Slot {
  constructor(readonly name: string) {}
}

type SlotOf<Params> = <Name extends keyof Params & string>(name: Name) => Params[Name]

/**
 * A query built and compiled by kysely once, then run with fresh values.
 * Building and compiling (an immutable tree, frozen node by node) costs more
 * CPU than the round trip for keyturn's hot queries; the SQL text never
 * changes, only the values. `build` receives `slot(name)`, which stands for
 * `params[name]` and type-checks as its type. Every dialect keyturn runs on
 * compiles Postgres SQL, so one compilation serves all of them.
 */
export function precompiled<Params extends object, Row>(
  build: (db: Executor, slot: SlotOf<Params>) => Compilable<Row>,
): (db: Executor, params: Params) => Promise<Row[]> {
  let compiled: { query: CompiledQuery<Row>; values: ((params: Params) => unknown)[] } | undefined
  return async (db, params) => {
    if (!compiled) {
      const query = build(db, (name) => new Slot(name) as never).compile()
      compiled = {
        query,
        // A value written into the query itself (not through a slot) stays as compiled.
        values: query.parameters.map((value) =>
          value instanceof Slot ? (p: Params) => (p as Record<string, unknown>)[value.name] : () => value,
        ),
      }
    }
    const parameters = compiled.values.map((value) => value(params))
    // A query id of its own per run: plugins keep per-query state by it.
    return (await db.executeQuery<Row>({ ...compiled.query, queryId: createQueryId(), parameters })).rows
  }
}
