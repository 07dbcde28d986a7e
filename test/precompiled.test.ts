import { sql } from 'kysely'
import t from 'tap'
import { precompiled } from '../src/db/precompiled.js'
import { inTransaction } from '../src/db/transaction.js'
import { fileDb } from './helper.js'

t.test('a precompiled query runs with fresh values each time, constants kept', async (t) => {
  const { db } = await fileDb()
  let builds = 0
  const pick = precompiled<{ a: number; b: string }, { a: number; b: string; c: string }>((executor, slot) => {
    builds++
    return executor.selectNoFrom([
      sql<number>`${slot('a')}::int`.as('a'),
      sql<string>`${slot('b')}::text`.as('b'),
      sql<string>`${'constant'}::text`.as('c'),
    ])
  })
  t.same(await pick(db, { a: 1, b: 'one' }), [{ a: 1, b: 'one', c: 'constant' }])
  t.same(await pick(db, { a: 2, b: 'two' }), [{ a: 2, b: 'two', c: 'constant' }])
  const inside = await inTransaction(db, (trx) => pick(trx, { a: 3, b: 'three' }))
  t.same(inside, [{ a: 3, b: 'three', c: 'constant' }], 'inside a transaction too')
  t.equal(builds, 1, 'built and compiled once')
})
