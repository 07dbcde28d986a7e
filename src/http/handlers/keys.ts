import type { FastifyRequest } from 'fastify'
import { serverMetadata } from '../../services/server-metadata.js'
import type { HandlerContext, Handlers } from './context.js'

/** What other services verify tokens with, and where to find it. */
export function keyHandlers({ deps }: HandlerContext): Handlers {
  const { keys, config } = deps
  const cacheControl = `public, max-age=${Math.floor(config.keys.jwksMaxAgeMs / 1000)}`
  const baseUrl = (request: FastifyRequest) => config.http.publicUrl ?? `${request.protocol}://${request.host}`

  return {
    async getJwks(request, reply) {
      const { body, etag } = keys.jwks
      reply.header('cache-control', cacheControl).header('etag', etag)
      if (matchesEtag(request.headers['if-none-match'], etag)) return reply.code(304).send()
      return body
    },

    async getServerMetadata(request, reply) {
      reply.header('cache-control', cacheControl)
      return serverMetadata(config.jwt.issuer, baseUrl(request))
    },
  }
}

/** If-None-Match (RFC 9110 §13.1.2): `*`, or a list of tags compared weakly. */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false
  return header.split(',').some((candidate) => {
    const tag = candidate.trim()
    return tag === '*' || tag.replace(/^W\//, '') === etag
  })
}
