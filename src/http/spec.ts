import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parse, stringify } from 'yaml'
import { packageRoot } from '../paths.js'

export type JsonObject = { [key: string]: unknown }

export interface RateLimitRule {
  /** With `key`, names the RATE_LIMIT_<BUCKET>_<KEY> variable that overrides it. */
  bucket: string
  key: 'ip' | 'username' | 'user'
  max: number
  window: string
}

/** One operation of openapi.yaml, in the shape Fastify routes need. */
export interface Operation {
  operationId: string
  method: string
  /** The path as the spec writes it: /v1/auth/sessions/{id} */
  path: string
  /** The path as Fastify routes it: /v1/auth/sessions/:id */
  url: string
  secured: boolean
  /** The security schemes (components.securitySchemes) the operation names, alternatives in order. */
  securitySchemes: string[]
  /** One of the operation's security requirements is empty: it may also be called without credentials. */
  anonymousAllowed: boolean
  /** `x-keyturn-refresh-cookie: true`: it reads the refresh cookie, so the CSRF checks apply in cookie mode. */
  readsRefreshCookie: boolean
  /** The operation takes a body but does not require one: an absent body reads as {}. */
  optionalBody: boolean
  /** Body fields marked `x-keyturn-normalize: NFKC`, normalized before validation. */
  normalizedFields: string[]
  rateLimits: RateLimitRule[]
  schema: {
    body?: JsonObject
    params?: JsonObject
    querystring?: JsonObject
    response: Record<string, { content: Record<string, { schema: JsonObject }> }>
  }
}

export interface Spec {
  /** The document as text: the file as written, or the served copy (served-spec.ts). */
  text: string
  document: JsonObject
  operations: Operation[]
}

export const specPath = path.join(packageRoot, 'openapi.yaml')
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options']

export function loadSpec(file = specPath): Spec {
  const text = readFileSync(file, 'utf8')
  return specOf(parse(text) as JsonObject, text)
}

/** A spec document (as written, or as served: served-spec.ts) with its operations. */
export function specOf(document: JsonObject, text: string): Spec {
  const operations: Operation[] = []
  for (const [specPath, pathItem] of Object.entries(document.paths as Record<string, JsonObject>)) {
    for (const method of METHODS) {
      const operation = pathItem[method] as JsonObject | undefined
      if (operation) operations.push(toOperation(document, specPath, method, operation))
    }
  }
  return { text, document, operations }
}

function toOperation(document: JsonObject, specPath: string, method: string, raw: JsonObject): Operation {
  const operation = resolve(document, raw) as JsonObject
  const operationId = operation.operationId as string
  if (!operationId) throw new Error(`openapi.yaml: ${method.toUpperCase()} ${specPath} has no operationId`)
  const security = (operation.security ?? document.security ?? []) as JsonObject[]
  const requestBody = operation.requestBody as JsonObject | undefined
  const bodySchema = (requestBody?.content as Record<string, JsonObject> | undefined)?.['application/json']?.schema

  const schema: Operation['schema'] = { response: responseSchemas(operation.responses as Record<string, JsonObject>) }
  if (bodySchema) schema.body = bodySchema as JsonObject
  const parameters = (operation.parameters ?? []) as JsonObject[]
  const params = parameterSchema(parameters.filter((p) => p.in === 'path'))
  if (params) schema.params = params
  const querystring = parameterSchema(parameters.filter((p) => p.in === 'query'))
  if (querystring) schema.querystring = querystring

  return {
    operationId,
    method: method.toUpperCase(),
    path: specPath,
    url: specPath.replace(/\{(\w+)\}/g, ':$1'),
    // bearerAuth (an access token) is what `secured` means: the operations a user calls as themselves.
    secured: security.some((requirement) => 'bearerAuth' in requirement),
    securitySchemes: [...new Set(security.flatMap((requirement) => Object.keys(requirement)))],
    anonymousAllowed: security.length === 0 || security.some((requirement) => Object.keys(requirement).length === 0),
    readsRefreshCookie: operation['x-keyturn-refresh-cookie'] === true,
    optionalBody: bodySchema !== undefined && requestBody?.required !== true,
    normalizedFields: Object.entries(((bodySchema as JsonObject | undefined)?.properties ?? {}) as Record<string, JsonObject>)
      .filter(([, property]) => property['x-keyturn-normalize'] === 'NFKC')
      .map(([name]) => name),
    rateLimits: (operation['x-rate-limit'] ?? []) as RateLimitRule[],
    schema,
  }
}

function responseSchemas(responses: Record<string, JsonObject>): Operation['schema']['response'] {
  const result: Operation['schema']['response'] = {}
  for (const [status, response] of Object.entries(responses)) {
    const content = response.content as Record<string, JsonObject> | undefined
    if (!content) continue
    const byType: Record<string, { schema: JsonObject }> = {}
    for (const [mediaType, media] of Object.entries(content)) byType[mediaType] = { schema: media.schema as JsonObject }
    // OpenAPI writes ranges as 4XX, Fastify as 4xx.
    result[status.toLowerCase()] = { content: byType }
  }
  return result
}

function parameterSchema(parameters: JsonObject[]): JsonObject | undefined {
  if (parameters.length === 0) return undefined
  return {
    type: 'object',
    properties: Object.fromEntries(parameters.map((p) => [p.name, p.schema])),
    required: parameters.filter((p) => p.required).map((p) => p.name),
  }
}

/**
 * Inlines local `$ref`s (the only kind this spec uses) into a fresh tree, so
 * Fastify and ajv get self-contained schemas. Keywords beside a `$ref` apply
 * on top of the referenced schema, as in OpenAPI 3.1.
 */
export function resolve(document: JsonObject, node: unknown, seen: string[] = []): unknown {
  if (Array.isArray(node)) return node.map((item) => resolve(document, item, seen))
  if (node === null || typeof node !== 'object') return node
  const { $ref, ...rest } = node as JsonObject
  const resolvedRest = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, resolve(document, v, seen)]))
  if (typeof $ref !== 'string') return resolvedRest
  if (!$ref.startsWith('#/')) throw new Error(`openapi.yaml: only local $refs are supported (${$ref})`)
  if (seen.includes($ref)) throw new Error(`openapi.yaml: $ref cycle through ${$ref}`)
  const target = $ref
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((at, part) => (at as JsonObject | undefined)?.[part], document)
  if (target === undefined) throw new Error(`openapi.yaml: $ref ${$ref} points nowhere`)
  return { ...(resolve(document, target, [...seen, $ref]) as JsonObject), ...resolvedRest }
}
