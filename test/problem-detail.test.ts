// A problem's `detail` says what went wrong this time; where it would only
// repeat the title it is left out (test/contract.ts refuses such a response
// anywhere in the suite).
import t from 'tap'
import { problem, problemTypes } from '../src/errors.js'
import { build } from './helper.js'

t.test('a detail equal to the title is dropped', async (t) => {
  for (const [code, { title }] of Object.entries(problemTypes)) {
    t.equal(problem(code as keyof typeof problemTypes, { detail: title }).detail, undefined, code)
  }
  t.equal(problem('token_invalid', { detail: 'The token is signed with another key.' }).detail, 'The token is signed with another key.')
})

t.test('answers carry a detail only where it adds to the title', async (t) => {
  const { call } = await build(t)
  const expired = await call({ method: 'GET', url: '/v1/auth/me', headers: { authorization: 'Bearer not-a-jwt' } })
  t.equal(expired.statusCode, 401)
  const body = expired.json()
  t.not(body.detail, body.title)
  const missing = (await call({ method: 'GET', url: '/nowhere' })).json()
  t.equal(missing.title, 'Not found.')
  t.notOk('detail' in missing, 'a 404 says all in its title')
})
