import { readFileSync } from 'node:fs'
import { Validator } from '@seriousme/openapi-schema-validator'
import Fastify from 'fastify'
import t from 'tap'
import { parseDuration } from '../src/config/parsers.js'
import { guardUndocumentedRoutes, registerOperations } from '../src/http/routes.js'
import { specPath } from '../src/http/spec.js'
import { spec } from './contract.js'
import { build, testEnv } from './helper.js'
import { loadConfig } from '../src/config.js'
import { fieldCodes, problemTypes } from '../src/errors.js'

t.test('openapi.yaml is a valid OpenAPI 3.1 document', async (t) => {
  const result = await new Validator().validate(spec.text)
  t.same(result.errors ?? [], [], 'no schema errors')
  t.equal(result.valid, true)
  t.equal(spec.document.openapi, '3.1.0')
})

t.test('every operation is routed, and documents its errors', async (t) => {
  const { app } = await build(t)
  t.ok(spec.operations.length >= 13)
  for (const operation of spec.operations) {
    t.ok(app.hasRoute({ method: operation.method as 'GET', url: operation.url }), `${operation.method} ${operation.path} is routed`)
    const statuses = Object.keys(operation.schema.response)
    t.ok(statuses.includes('default'), `${operation.operationId} documents a default (problem+json) response`)
    if (operation.schema.body) {
      t.ok(statuses.includes('400') && statuses.includes('413') || operation.operationId === 'getDocsAsset', `${operation.operationId} documents 400 and 413`)
      t.equal(operation.schema.body.additionalProperties, false, `${operation.operationId} refuses unknown fields`)
    }
    if (operation.secured) t.ok(statuses.includes('401'), `${operation.operationId} documents 401`)
    for (const rule of operation.rateLimits) {
      t.ok(['ip', 'username', 'user'].includes(rule.key), `${operation.operationId} rate limit key ${rule.key}`)
      t.ok(parseDuration(rule.window) > 0 && rule.max > 0)
      t.ok(statuses.includes('429'), `${operation.operationId} documents 429`)
    }
  }
})

t.test('a route openapi.yaml does not describe cannot be registered', async (t) => {
  const app = Fastify()
  guardUndocumentedRoutes(app, spec.operations)
  t.throws(() => app.get('/v1/auth/secret-admin', async () => 'x'), /not in openapi\.yaml/)
  t.throws(() => app.delete('/v1/auth/me', async () => 'x'), /DELETE \/v1\/auth\/me is not in openapi\.yaml/)
  t.doesNotThrow(() => app.get('/v1/auth/me', async () => 'ok'), 'documented routes are fine, HEAD included')
  await app.close()
})

t.test('an operation without a handler, or a handler without an operation, stops the start', async (t) => {
  const config = loadConfig(testEnv)
  const authenticate = async () => {}
  const schemes = Object.keys((spec.document.components as { securitySchemes: object }).securitySchemes)
  const security = Object.fromEntries(schemes.map((scheme) => [scheme, { presented: () => true, check: authenticate }]))
  const accountIdOf = async () => undefined
  const handler = async () => ({})
  const handlers = Object.fromEntries(spec.operations.map((operation) => [operation.operationId, handler]))
  const { getMe, ...missingOne } = handlers
  t.ok(getMe)
  t.throws(
    () => registerOperations(Fastify(), spec.operations, missingOne, { config, security, accountIdOf }),
    /no handler for \[getMe\]/,
  )
  t.throws(
    () => registerOperations(Fastify(), spec.operations, { ...handlers, deleteEverything: handler }, { config, security, accountIdOf }),
    /not in the spec \[deleteEverything\]/,
  )
})

t.test('the spec is served as written, and /docs renders it', async (t) => {
  const { call } = await build(t)
  const yaml = await call({ method: 'GET', url: '/openapi.yaml' })
  t.equal(yaml.statusCode, 200)
  t.match(yaml.headers['content-type'], /^application\/yaml/)
  t.equal(yaml.body, readFileSync(specPath, 'utf8'))

  const docs = await call({ method: 'GET', url: '/docs' })
  t.equal(docs.statusCode, 200)
  t.match(docs.headers['content-type'], /^text\/html/)
  const assets = [...docs.body.matchAll(/(?:src|href)="(docs\/assets\/[^"]+)"/g)].map((match) => match[1]!)
  t.ok(assets.length >= 3)
  for (const asset of assets) {
    const res = await call({ method: 'GET', url: `/${asset}` })
    t.equal(res.statusCode, 200, asset)
    t.ok(res.rawPayload.length > 0)
  }
  t.match((await call({ method: 'GET', url: '/docs/assets/docs.js' })).body, /url: 'openapi\.yaml'/)
  const traversal = await call({ method: 'GET', url: '/docs/assets/..%2Fpackage.json' })
  t.equal(traversal.statusCode, 400, 'only the listed files')
})

t.test('jwks, health and readiness', async (t) => {
  const { call } = await build(t)
  t.same((await call({ method: 'GET', url: '/.well-known/jwks.json' })).json(), { keys: [] }, 'HS256: no public keys')
  t.same((await call({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' })
  t.same((await call({ method: 'GET', url: '/readyz' })).json(), { status: 'ok' })
})

t.test('problem codes and field codes are declared once: openapi.yaml lists exactly errors.ts', async (t) => {
  const schemas = (spec.document.components as { schemas: Record<string, { enum: string[] }> }).schemas
  t.same([...schemas.ProblemCode!.enum].sort(), Object.keys(problemTypes).sort(), 'ProblemCode is errors.ts problemTypes')
  t.same([...schemas.FieldCode!.enum].sort(), [...fieldCodes].sort(), 'FieldCode is errors.ts fieldCodes')
  for (const code of fieldCodes) t.match(String((schemas.FieldCode as { description?: string }).description), code, `FieldCode's description explains ${code}`)
})
