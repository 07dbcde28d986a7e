import { schemaProblem } from '../../db/diagnose.js'
import { pingDatabase } from '../../db/health.js'
import { problem } from '../../errors.js'
import { chooseEncoding, docsAsset, docsPage } from '../docs.js'
import type { HandlerContext, Handlers } from './context.js'

/** Health, readiness, the spec and its reference page. */
export function operationHandlers({ deps, specText }: HandlerContext): Handlers {
  return {
    async getHealth() {
      return { status: 'ok' }
    },

    async getReadiness() {
      try {
        deps.denylist.assertFresh()
        await pingDatabase(deps.db)
      } catch (error) {
        // A database that answers but lacks tables (dropped, or migrated down) says what to run.
        const schema = await schemaProblem(deps.db).catch(() => undefined)
        if (schema) throw problem('unavailable', { detail: schema, cause: error, headers: { 'retry-after': '5' } })
        throw error
      }
      return { status: 'ok' }
    },

    async getOpenApi(_request, reply) {
      return reply.type('application/yaml; charset=utf-8').send(specText)
    },

    async getDocs(_request, reply) {
      return reply.type('text/html; charset=utf-8').send(docsPage)
    },

    async getDocsSlash(_request, reply) {
      // Relative, so it also works under a proxy's prefix: /docs/ → /docs, whose asset URLs resolve.
      return reply.code(301).header('location', '../docs').send()
    },

    async getDocsAsset(request, reply) {
      const asset = (await docsAsset((request.params as { file: string }).file))!
      const encoding = chooseEncoding(request.headers['accept-encoding'], asset.bodies)
      reply.type(asset.type).header('cache-control', 'public, max-age=86400').header('vary', 'accept-encoding')
      if (encoding !== 'identity') reply.header('content-encoding', encoding)
      return reply.send(asset.bodies[encoding])
    },
  }
}
