// The one rule of which key signs when (src/tokens/key-schedule.ts), on its own.
import t from 'tap'
import { signerAt, signingPeriods, type ScheduledKey } from '../src/tokens/key-schedule.js'

const key = (kid: string, signsFrom: number): ScheduledKey => ({ kid, alg: 'EdDSA', publishedAt: signsFrom - 600, signsFrom })
const RETIRE = 1000

t.test('the newest key that may sign does; before any may, the secret, or else the longest published', async (t) => {
  const keys = [key('new', 2000), key('old', 1000)]
  t.same(signerAt(keys, false, 999), { index: 1, eligible: false }, 'none may yet, no secret: the one that may soonest')
  t.same(signerAt(keys, true, 999), { index: -1, eligible: true }, 'none may yet: the secret')
  t.same(signerAt(keys, false, 1000), { index: 1, eligible: true }, 'the old key from its moment')
  t.same(signerAt(keys, true, 1999), { index: 1, eligible: true }, 'a key that may sign goes before the secret')
  t.same(signerAt(keys, false, 2000), { index: 0, eligible: true }, 'the new key from its moment')
  t.same(signerAt([], true, 0), { index: -1, eligible: true }, 'HS256 alone')
  t.same(signerAt([key('newer', 500), key('older', 3000)], false, 600), { index: 0, eligible: true }, 'order decides, not age')
})

t.test('signing periods: since, until, safe to remove after; a key overtaken before it could sign never does', async (t) => {
  const periods = signingPeriods([key('c', 3000), key('b', 2000), key('a', 1000)], true, RETIRE)
  t.same(periods.keys, [
    { from: 3000, until: undefined, never: false, removableAfter: undefined },
    { from: 2000, until: 3000, never: false, removableAfter: 4000 },
    { from: 1000, until: 2000, never: false, removableAfter: 3000 },
  ])
  t.same(periods.secret, { from: undefined, until: 1000, never: false, removableAfter: 2000 }, 'the secret signed until the first key could')
  const overtaken = signingPeriods([key('newer', 1000), key('older', 2000)], false, RETIRE)
  t.same(overtaken.keys[1], { from: undefined, until: undefined, never: true, removableAfter: 0 }, 'never signs: removable now')
  t.equal(overtaken.secret, undefined, 'no secret, no secret period')
})
