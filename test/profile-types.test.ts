import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'
import { build } from './helper.js'
import { projectRoot, tempDir } from './processes.js'
import { profileSchemaFile } from './profile-support.js'

// openapi-typescript needs TypeScript 5's compiler API; examples/typed-client
// holds it (and its own TypeScript 5) apart from the service's TypeScript 7,
// which checks the programs below, as a client project's compiler would.
const openapiTypescript = path.join(projectRoot, 'examples/typed-client/node_modules/openapi-typescript/bin/cli.js')
// TypeScript 7's own executable: its node wrapper cannot run under the loaders tap gives every child.
const { default: tscPath } = (await import(pathToFileURL(path.join(projectRoot, 'node_modules/typescript/lib/getExePath.js')).href)) as {
  default: () => string
}
const tsc = tscPath()
const exec = promisify(execFile)
const run = (command: string, args: string[], cwd: string) => exec(command, args, { cwd, timeout: 120_000 })

/** The types openapi-typescript makes of the spec a service with this configuration serves, in a fresh folder. */
async function generatedTypes(t: Test, env: Record<string, string>): Promise<string> {
  const { app } = await build(t, { env })
  const served = await app.inject({ method: 'GET', url: '/openapi.yaml' })
  const dir = await tempDir(t)
  await writeFile(path.join(dir, 'openapi.yaml'), served.body)
  await run(process.execPath, [openapiTypescript, 'openapi.yaml', '-o', 'keyturn.d.ts'], dir)
  await writeFile(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'nodenext', target: 'es2023', skipLibCheck: false, types: [] }, files: ['client.ts'] }),
  )
  return dir
}

/** tsc --noEmit on a client program using the generated types: its exit code and what it said. */
async function compile(dir: string, program: string): Promise<{ code: number; output: string }> {
  await writeFile(path.join(dir, 'client.ts'), `import type { components } from './keyturn.js'\n${program}\n`)
  try {
    await run(tsc, ['-p', dir], dir)
    return { code: 0, output: '' }
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof failed.code === 'number' ? failed.code : -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` || String(error) }
  }
}

const header = `
type RegisterRequest = components['schemas']['RegisterRequest']
type User = components['schemas']['User']
declare const user: User
`

t.test('with PROFILE_SCHEMA_FILE, a generated client knows the profile fields and their types', async (t) => {
  const dir = await generatedTypes(t, { PROFILE_SCHEMA_FILE: profileSchemaFile })
  const good = await compile(dir, `${header}
const body: RegisterRequest = { username: 'ada', password: 'secret', profile: { phone_number: '+33612345678', address: { country: 'FR' } } }
user.profile.phone_number = '+33612345678'
const phone: string | undefined = user.profile.phone_number
const newsletter: boolean | undefined = user.profile.newsletter
export { body, phone, newsletter }`)
  t.equal(good.code, 0, `a program using the fields compiles ${good.output}`)

  const wrongType = await compile(dir, `${header}
user.profile.phone_number = 33612345678`)
  t.not(wrongType.code, 0, 'a number for phone_number does not compile')
  t.match(wrongType.output, /phone_number|not assignable to type 'string'/)

  const unknownField = await compile(dir, `${header}
const body: RegisterRequest = { username: 'ada', password: 'secret', profile: { phone_number: '+33612345678', shoe_size: 44 } }
export { body }`)
  t.not(unknownField.code, 0, 'an undeclared field does not compile')
  t.match(unknownField.output, /shoe_size/)

  const noProfile = await compile(dir, `${header}
const body: RegisterRequest = { username: 'ada', password: 'secret' }
export { body }`)
  t.not(noProfile.code, 0, 'the schema requires phone_number, so registration requires a profile')
  t.match(noProfile.output, /profile/)
})

t.test('without PROFILE_SCHEMA_FILE, a generated client has no profile fields', async (t) => {
  const dir = await generatedTypes(t, {})
  const empty = await compile(dir, `${header}
const body: RegisterRequest = { username: 'ada', password: 'secret', profile: {} }
export { body }`)
  t.equal(empty.code, 0, `an empty profile compiles ${empty.output}`)
  const field = await compile(dir, `${header}
user.profile.phone_number = '+33612345678'`)
  t.not(field.code, 0, 'there is no phone_number to set')
  t.match(field.output, /phone_number|never/)
})
