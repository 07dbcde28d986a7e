import t from 'tap'
import { loadConfig } from '../src/config.js'
import { servedSpec } from '../src/http/served-spec.js'
import { loadSpec } from '../src/http/spec.js'
import { testEnv } from './helper.js'
import { profileSchemaFile } from './profile-support.js'
import { withProfileSchema } from '../src/http/spec-profile.js'

const schema = {
  type: 'object',
  required: ['phone_number'],
  properties: { phone_number: { type: 'string', pattern: '^\\+[0-9]+$' }, newsletter: { type: 'boolean' } },
  unevaluatedProperties: false,
}

t.test('withProfileSchema: a pure transform of the document', async (t) => {
  const { document } = loadSpec()
  const before = structuredClone(document)
  t.equal(withProfileSchema(document, undefined), document, 'without a schema, the document itself (served as written)')

  const served = withProfileSchema(document, schema, ['phone_number'])
  t.same(document, before, 'the document given is left as it was')
  const schemas = (served.components as { schemas: Record<string, any> }).schemas
  t.same(schemas.Profile.properties, schema.properties)
  t.equal(schemas.Profile.required, undefined, 'responses do not promise required fields')
  t.match(schemas.Profile.description, /PROFILE_SCHEMA_FILE/, "the spec's description stays")
  t.same(schemas.ProfilePatch.properties.phone_number, { anyOf: [schema.properties.phone_number, { type: 'null' }] }, 'a patch may remove a field')
  t.equal(schemas.ProfilePatch.unevaluatedProperties, false)
  t.same(schemas.ProfileClaims.properties, { phone_number: schema.properties.phone_number })
  t.ok(schemas.RegisterRequest.required.includes('profile'))

  const optional = withProfileSchema(document, { ...schema, required: [] })
  t.notOk((optional.components as any).schemas.RegisterRequest.required.includes('profile'), 'no required field, no required profile')
  const config = loadConfig({ ...testEnv, PROFILE_SCHEMA_FILE: profileSchemaFile })
  const register = servedSpec(loadSpec(), config).operations.find((op) => op.operationId === 'register')
  t.ok((register?.schema.body?.required as string[]).includes('profile'), 'validation is built from the served document')
  const emailOnly = servedSpec(loadSpec(), loadConfig({ ...testEnv, PROFILE_SCHEMA_FILE: profileSchemaFile, LOGIN_FIELDS: 'email' }))
  t.same(emailOnly.operations.find((op) => op.operationId === 'register')?.schema.body?.required, ['email', 'password', 'profile'], 'after LOGIN_FIELDS')
})
