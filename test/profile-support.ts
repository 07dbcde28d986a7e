import path from 'node:path'
import type { InjectOptions, LightMyRequestResponse as Response } from 'fastify'
import { parse } from 'yaml'
import { contractFor } from './contract.js'
import { build, type BuildOptions, type TestApp, type TestLike } from './helper.js'

export const profileSchemaFile = path.resolve(import.meta.dirname, 'fixtures/profile/schema.json')

/** An app whose responses are checked against the spec it serves (its configured profile schema), not the file. */
export async function buildServed(t: TestLike, options: BuildOptions = {}): Promise<TestApp & { served: Record<string, any> }> {
  const testApp = await build(t, options)
  const served = parse((await testApp.app.inject({ method: 'GET', url: '/openapi.yaml' })).body) as Record<string, any>
  const check = contractFor(served)
  const call = async (request: InjectOptions & { method: string; url: string }): Promise<Response> => {
    const res = await testApp.app.inject(request)
    check(request.method, request.url, res)
    return res
  }
  return { ...testApp, call, served }
}

export function claimsOf(jwt: string): Record<string, any> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'))
}
