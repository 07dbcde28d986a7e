// servedSpec: one config-derived copy of openapi.yaml for validation and /openapi.yaml.
import t from 'tap'
import { parse } from 'yaml'
import { loadConfig } from '../src/config.js'
import { replaceComponentSchema, servedSpec, specTransforms, type SpecTransform } from '../src/http/served-spec.js'
import { loadSpec } from '../src/http/spec.js'
import { testEnv } from './helper.js'

const written = loadSpec()
const config = (env: Record<string, string>) => loadConfig({ ...testEnv, ...env })
const schemas = (document: unknown) => (document as { components: { schemas: Record<string, any> } }).components.schemas

t.test('the default configuration serves the file as written', async (t) => {
  t.equal(servedSpec(written, config({})), written)
})

t.test('a configuration changes a copy; the document as written stays as it was', async (t) => {
  const before = structuredClone(written.document)
  const served = servedSpec(written, config({ LOGIN_FIELDS: 'email', EMAIL_VERIFICATION: 'mandatory' }))
  t.same(written.document, before, 'the written document is untouched')
  t.same(schemas(served.document).RegisterRequest.required, ['email', 'password'])
  t.same(schemas(parse(served.text)).RegisterRequest.required, ['email', 'password'], 'the text is the served document')
  t.notMatch(served.text, /[&*]a\d/, 'no YAML aliases')
  const register = served.operations.find((operation) => operation.operationId === 'register')!
  t.notOk('username' in (register.schema.body!.properties as object), 'the operations (routes, validation) come from the copy')
})

t.test('a transform can replace a component schema (how PROFILE_SCHEMA_FILE plugs in)', async (t) => {
  const profile = { type: 'object', additionalProperties: false, properties: { phone_number: { type: 'string', pattern: '^\\+[0-9]+$' } } }
  const plugIn: SpecTransform = (document) => replaceComponentSchema(document, 'Email', profile)
  const served = servedSpec(written, config({}), [...specTransforms, plugIn])
  t.same(schemas(served.document).Email, profile)
  t.throws(() => servedSpec(written, config({}), [(document) => replaceComponentSchema(document, 'NoSuchSchema', {})]), /NoSuchSchema/)
})

t.test('a transform may return a new document instead of changing the one given', async (t) => {
  const renamed: SpecTransform = (document) => ({ ...document, info: { ...(document.info as object), title: 'configured' } })
  const served = servedSpec(written, config({}), [renamed])
  t.equal((served.document.info as { title: string }).title, 'configured')
  t.equal((written.document.info as { title: string }).title, 'keyturn')
})
