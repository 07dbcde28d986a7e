import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import t, { type Test } from 'tap'
import { ConfigError, loadConfig, type Env } from '../src/config.js'
import { testEnv } from './helper.js'
import { tempDir } from './processes.js'
import { profileSchemaFile } from './profile-support.js'

function problemsOf(t: Test, env: Env): string[] {
  try {
    loadConfig({ ...testEnv, ...env })
  } catch (error) {
    t.type(error, ConfigError)
    return (error as ConfigError).problems
  }
  t.fail(`${JSON.stringify(env)} was accepted`)
  return []
}

async function schemaFile(t: Test, content: string): Promise<string> {
  const file = path.join(await tempDir(t), 'profile.json')
  await writeFile(file, content)
  return file
}

t.test('a JSON Schema file gives the profile fields; defaults are no fields, no claims, 4 KiB', async (t) => {
  const defaults = loadConfig(testEnv).profile
  t.equal(defaults.schema, undefined)
  t.same(defaults.claims, [])
  t.equal(defaults.maxBytes, 4096)

  const config = loadConfig({ ...testEnv, PROFILE_SCHEMA_FILE: profileSchemaFile, PROFILE_CLAIMS: 'phone_number, newsletter' }).profile
  t.equal(config.schema?.type, 'object')
  t.notOk('$schema' in config.schema!, 'the dialect is the spec\'s own once embedded')
  t.equal(config.schema?.unevaluatedProperties, false, 'a schema that says nothing about other fields refuses them')
  t.same(config.claims, ['phone_number', 'newsletter'])

  const open = await schemaFile(t, JSON.stringify({ type: 'object', additionalProperties: true }))
  t.equal(loadConfig({ ...testEnv, PROFILE_SCHEMA_FILE: open }).profile.schema?.additionalProperties, true, 'a schema may allow any field')
})

t.test('a schema that is not one stops the start with a message naming the variable', async (t) => {
  const cases: [content: string, message: RegExp][] = [
    ['{ "type": "object", ', /PROFILE_SCHEMA_FILE is not JSON/],
    ['[1, 2]', /PROFILE_SCHEMA_FILE must hold a JSON Schema object/],
    ['{ "type": "string" }', /PROFILE_SCHEMA_FILE must describe an object/],
    ['{ "type": "object", "properties": { "phone": { "type": "strin" } } }', /PROFILE_SCHEMA_FILE is not a valid JSON Schema: \/properties\/phone\/type/],
    ['{ "type": "object", "properties": { "phone": { "maxLength": -1 } } }', /PROFILE_SCHEMA_FILE is not a valid JSON Schema: \/properties\/phone\/maxLength/],
    ['{ "type": "object", "properties": { "phone": { "type": "string", "pattern": "(" } } }', /PROFILE_SCHEMA_FILE cannot be used/],
    ['{ "type": "object", "properties": { "phone": { "tpye": "string" } } }', /PROFILE_SCHEMA_FILE cannot be used: .*unknown keyword/],
    ['{ "type": "object", "$defs": { "p": { "type": "string" } }, "properties": { "phone": { "$ref": "#/$defs/p" } } }', /PROFILE_SCHEMA_FILE must be self-contained: \/properties\/phone uses \$ref/],
    ['{ "$schema": "http://json-schema.org/draft-07/schema#", "type": "object" }', /PROFILE_SCHEMA_FILE must be a JSON Schema 2020-12/],
  ]
  for (const [content, message] of cases) {
    const problems = problemsOf(t, { PROFILE_SCHEMA_FILE: await schemaFile(t, content) })
    t.match(problems.join('\n'), message, content)
  }
  t.match(problemsOf(t, { PROFILE_SCHEMA_FILE: '/nonexistent/profile.json' }).join(), /PROFILE_SCHEMA_FILE names no readable file \(\/nonexistent\/profile.json: ENOENT\)/)
})

t.test('claims must be fields of the schema, and few', async (t) => {
  t.match(problemsOf(t, { PROFILE_CLAIMS: 'phone_number' }).join(), /PROFILE_CLAIMS needs PROFILE_SCHEMA_FILE/)
  t.match(
    problemsOf(t, { PROFILE_SCHEMA_FILE: profileSchemaFile, PROFILE_CLAIMS: 'phone_number,shoe_size' }).join(),
    /PROFILE_CLAIMS names fields PROFILE_SCHEMA_FILE does not declare under "properties": shoe_size/,
  )
  const many = Array.from({ length: 17 }, (_, i) => `f${i}`).join(',')
  t.match(problemsOf(t, { PROFILE_SCHEMA_FILE: profileSchemaFile, PROFILE_CLAIMS: many }).join(), /PROFILE_CLAIMS must name at most 16 fields/)
  t.match(problemsOf(t, { PROFILE_SCHEMA_FILE: profileSchemaFile, PROFILE_CLAIMS: 'phone_number,phone_number' }).join(), /PROFILE_CLAIMS names a field twice/)
  t.match(problemsOf(t, { PROFILE_MAX_BYTES: '20' }).join(), /PROFILE_MAX_BYTES must be between 64 and 16384/)
})
