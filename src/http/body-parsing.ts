import type { FastifyInstance } from 'fastify'

/**
 * JSON only. Fastify also parses text/plain by default; a text body would then
 * reach validation as a string, when the honest answer is 415. An empty JSON
 * body reads as absent: `Content-Type: application/json` with no body is what
 * many clients send for a logout, and operations whose body is optional take it.
 */
export function configureBodyParsing(app: FastifyInstance): void {
  app.removeContentTypeParser('text/plain')
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined)
    parseJson(request, body as string, done)
  })
}
