import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { LightMyRequestResponse as Response } from 'fastify'
import { loadSpec, resolve } from '../src/http/spec.js'

type JsonObject = Record<string, any>

export const spec = loadSpec()
const ajv = new Ajv2020({ allErrors: true, strict: false })
addFormats.default(ajv)
export class ContractError extends Error {}

/**
 * Fails unless the response is one openapi.yaml documents for this operation:
 * a listed status (or range, or default), a listed content type, and a body
 * that validates against that status's schema.
 */
export const assertMatchesSpec = contractFor(spec.document)

/** The same check against another document: the spec as a configured service serves it. */
export function contractFor(document: JsonObject): (method: string, url: string, res: Response) => void {
  const validators = new Map<string, ValidateFunction>()
  const templates = Object.keys(document.paths as JsonObject).map((path) => ({
    path,
    pattern: new RegExp(`^${path.replace(/[.]/g, '\\.').replace(/\{\w+\}/g, '[^/]+')}$`),
  }))
  return (method, url, res) => {
    const path = url.split('?')[0]!
    const where = `${method} ${path} → ${res.statusCode}`
    const template = templates.find((candidate) => candidate.pattern.test(path))
    const operation = template && (document.paths as JsonObject)[template.path][method.toLowerCase()]
    let response: JsonObject | undefined
    if (!operation) {
      // No operation: an unknown path (404), or a URL too broken to route (400).
      if (res.statusCode !== 404 && res.statusCode !== 400) throw new ContractError(`${where}: no such operation in openapi.yaml`)
      response = resolve(document, (document.components as JsonObject).responses.Error) as JsonObject
    } else {
      const responses = resolve(document, operation.responses) as JsonObject
      const status = String(res.statusCode)
      response = responses[status] ?? responses[`${status[0]}XX`] ?? responses.default
      if (!response) throw new ContractError(`${where}: status not documented`)
    }
    if (!response.content) {
      if (res.body !== '') throw new ContractError(`${where}: documented without a body, but sent one`)
      return
    }
    const mediaType = String(res.headers['content-type'] ?? '').split(';')[0]!.trim()
    const media = response.content[mediaType]
    if (!media) throw new ContractError(`${where}: content type ${mediaType} not documented`)
    if (!mediaType.includes('json')) return
    const key = `${method} ${template?.path} ${res.statusCode} ${mediaType}`
    let validate = validators.get(key)
    if (!validate) validators.set(key, (validate = ajv.compile(media.schema)))
    const body = JSON.parse(res.body) as JsonObject
    if (!validate(body)) {
      throw new ContractError(`${where}: body does not match openapi.yaml: ${ajv.errorsText(validate.errors)}\n${res.body}`)
    }
    if (mediaType === 'application/problem+json' && body.detail !== undefined && body.detail === body.title) {
      throw new ContractError(`${where}: detail repeats the title; leave it out when there is nothing more to say\n${res.body}`)
    }
  }
}
