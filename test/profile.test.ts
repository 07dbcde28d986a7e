import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import t, { type Test } from 'tap'
import { bearer, PASSWORD, uniqueName, type TestApp } from './helper.js'
import { tempDir } from './processes.js'
import { buildServed, claimsOf, profileSchemaFile } from './profile-support.js'

const withSchema = { PROFILE_SCHEMA_FILE: profileSchemaFile, PROFILE_CLAIMS: 'phone_number,address' }
const PHONE = '+33612345678'

const register = (app: TestApp, extra: Record<string, unknown>) => {
  const username = uniqueName()
  return app.call({ method: 'POST', url: '/v1/auth/register', payload: { username, password: PASSWORD, ...extra } })
}
const patchMe = (app: TestApp, access: string, payload: Record<string, unknown>) =>
  app.call({ method: 'PATCH', url: '/v1/auth/me', headers: bearer(access), payload })

/** The field errors of a 400 as [pointer, code] pairs. */
function fieldErrors(t: Test, res: { statusCode: number; json(): any }): [string, string][] {
  t.equal(res.statusCode, 400, 'a 400')
  const body = res.json()
  t.equal(body.code, 'validation_failed')
  return body.errors.map((error: { pointer: string; code: string }) => [error.pointer, error.code])
}

t.test('without PROFILE_SCHEMA_FILE a profile has no fields, and the spec is served as written', async (t) => {
  const app = await buildServed(t)
  const created = await register(app, { profile: {} })
  t.equal(created.statusCode, 201)
  t.same(created.json().user.profile, {})
  t.same(claimsOf(created.json().tokens.access_token).profile, undefined, 'no profile claim without PROFILE_CLAIMS')
  t.same(fieldErrors(t, await register(app, { profile: { phone_number: PHONE } })), [['/profile/phone_number', 'unknown_field']])
  const access = created.json().tokens.access_token
  t.same(fieldErrors(t, await patchMe(app, access, { profile: { phone_number: PHONE } })), [['/profile/phone_number', 'unknown_field']])
  t.same(app.served.components.schemas.Profile.properties, {})
})

t.test('registration takes the configured fields, checked by the spec, and returns them', async (t) => {
  const app = await buildServed(t, { env: withSchema })
  t.match(app.served.components.schemas.Profile.properties.phone_number, { type: 'string', pattern: '^\\+[1-9][0-9]{6,14}$' }, 'the served spec has the schema')
  t.ok(app.served.components.schemas.RegisterRequest.required.includes('profile'), 'the schema requires a field, so registration requires a profile')

  t.same(fieldErrors(t, await register(app, {})), [['/profile', 'required']])
  t.same(fieldErrors(t, await register(app, { profile: { newsletter: true } })), [['/profile/phone_number', 'required']])
  t.same(fieldErrors(t, await register(app, { profile: { phone_number: 33612345678 } })), [['/profile/phone_number', 'invalid_type']])
  t.same(fieldErrors(t, await register(app, { profile: { phone_number: '06 12 34 56 78' } })), [['/profile/phone_number', 'invalid_format']])
  t.same(fieldErrors(t, await register(app, { profile: { phone_number: PHONE, newsletter: 'true' } })), [['/profile/newsletter', 'invalid_type']], 'no coercion')
  t.same(fieldErrors(t, await register(app, { profile: { phone_number: PHONE, shoe_size: 44 } })), [['/profile/shoe_size', 'unknown_field']])
  t.same(fieldErrors(t, await register(app, { profile: { phone_number: PHONE, address: { country: 'France' } } })), [['/profile/address/country', 'invalid_format']])
  t.same(fieldErrors(t, await register(app, { profile: PHONE })), [['/profile', 'invalid_type']])

  const profile = { phone_number: PHONE, newsletter: false, address: { city: 'Lyon', country: 'FR' } }
  const created = await register(app, { profile })
  t.equal(created.statusCode, 201)
  t.same(created.json().user.profile, profile)
  const access = created.json().tokens.access_token
  t.same(claimsOf(access).profile, { phone_number: PHONE, address: { city: 'Lyon', country: 'FR' } }, 'PROFILE_CLAIMS fields in the token')
  const me = await app.call({ method: 'GET', url: '/v1/auth/me', headers: bearer(access) })
  t.same(me.json().profile, profile)
  const verified = await app.call({ method: 'POST', url: '/v1/auth/verify', payload: { token: access } })
  t.same(verified.json().profile, { phone_number: PHONE, address: { city: 'Lyon', country: 'FR' } }, '/verify shows the claim')
})

t.test('PATCH /me merges the profile: a field given replaces, null removes, the rest stays', async (t) => {
  const app = await buildServed(t, { env: withSchema })
  const created = await register(app, { profile: { phone_number: PHONE, newsletter: true, address: { city: 'Lyon', country: 'FR' } } })
  const { access_token: access, refresh_token: refresh } = created.json().tokens

  const changed = await patchMe(app, access, { profile: { company: 'ACME', address: { country: 'DE' } } })
  t.equal(changed.statusCode, 200)
  t.same(changed.json().profile, { phone_number: PHONE, newsletter: true, company: 'ACME', address: { country: 'DE' } }, 'objects are replaced whole')

  const removed = await patchMe(app, access, { profile: { company: null, newsletter: null }, first_name: 'Ada' })
  t.same(removed.json().profile, { phone_number: PHONE, address: { country: 'DE' } })
  t.equal(removed.json().first_name, 'Ada')

  t.same(fieldErrors(t, await patchMe(app, access, { profile: { phone_number: null } })), [['/profile/phone_number', 'required']], 'the result is checked whole')
  t.ok(fieldErrors(t, await patchMe(app, access, { profile: { phone_number: 'nope' } })).some(([pointer, code]) => pointer === '/profile/phone_number' && code === 'invalid_format'))
  t.same(fieldErrors(t, await patchMe(app, access, { profile: { shoe_size: 44 } })), [['/profile/shoe_size', 'unknown_field']])
  const unchanged = await app.call({ method: 'GET', url: '/v1/auth/me', headers: bearer(access) })
  t.same(unchanged.json().profile, { phone_number: PHONE, address: { country: 'DE' } }, 'a refused patch changes nothing')

  await patchMe(app, access, { profile: { phone_number: '+4915112345678' } })
  const refreshed = await app.call({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: refresh } })
  t.equal(refreshed.statusCode, 200)
  t.same(claimsOf(refreshed.json().tokens.access_token).profile, { phone_number: '+4915112345678', address: { country: 'DE' } }, 'a refresh carries the profile as it is now')
})

t.test('a profile is size-bounded, and so is what tokens copy of it', async (t) => {
  const small = await buildServed(t, { env: { ...withSchema, PROFILE_MAX_BYTES: '128' } })
  const big = { phone_number: PHONE, company: 'c'.repeat(100) }
  t.same(fieldErrors(t, await register(small, { profile: big })), [['/profile', 'too_long']])
  const created = await register(small, { profile: { phone_number: PHONE } })
  t.same(fieldErrors(t, await patchMe(small, created.json().tokens.access_token, { profile: { company: 'c'.repeat(100) } })), [['/profile', 'too_long']])

  const dir = await tempDir(t)
  const schema = path.join(dir, 'bio.json')
  await writeFile(schema, JSON.stringify({ type: 'object', properties: { bio: { type: 'string', maxLength: 3000 } } }))
  const claims = await buildServed(t, { env: { PROFILE_SCHEMA_FILE: schema, PROFILE_CLAIMS: 'bio' } })
  const errors = fieldErrors(t, await register(claims, { profile: { bio: 'b'.repeat(1100) } }))
  t.same(errors, [['/profile', 'too_long']], 'more than 1 KiB of claims is refused')
  t.equal((await register(claims, { profile: { bio: 'b'.repeat(900) } })).statusCode, 201)
  t.equal((await register(claims, { profile: {} })).statusCode, 201, 'a schema without required fields takes an empty profile')
})
