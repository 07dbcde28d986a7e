// Serves the page and the built @keyturn/browser. PORT (default 8080), HOST
// (127.0.0.1); with KEYTURN_PROXY=<keyturn URL> it also forwards /v1/* there,
// for the page and keyturn behind one origin (no CORS needed).
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const pageDir = fileURLToPath(new URL('./public', import.meta.url))
const packageDir = path.dirname(fileURLToPath(import.meta.resolve('@keyturn/browser')))
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' }
const proxyTarget = process.env.KEYTURN_PROXY ? new URL(process.env.KEYTURN_PROXY) : undefined

/** The file a URL path names inside one of the two folders, or undefined (no `..` escapes). */
function fileFor(urlPath) {
  const [root, rest] = urlPath.startsWith('/keyturn-browser/')
    ? [packageDir, urlPath.slice('/keyturn-browser/'.length)]
    : [pageDir, urlPath === '/' ? 'index.html' : urlPath.slice(1)]
  const file = path.resolve(root, decodeURIComponent(rest))
  return file.startsWith(root + path.sep) ? file : undefined
}

function forward(request, response) {
  const upstream = http.request(
    { host: proxyTarget.hostname, port: proxyTarget.port, method: request.method, path: request.url, headers: request.headers },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(response)
    },
  )
  upstream.on('error', () => response.writeHead(502).end())
  request.pipe(upstream)
}

const server = http.createServer(async (request, response) => {
  const urlPath = new URL(request.url ?? '/', 'http://page').pathname
  if (proxyTarget && urlPath.startsWith('/v1/')) return forward(request, response)
  const file = request.method === 'GET' ? fileFor(urlPath) : undefined
  const info = file && (await stat(file).catch(() => undefined))
  if (!info?.isFile()) return response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
  response.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' })
  createReadStream(file).pipe(response)
})

server.listen(Number(process.env.PORT ?? 8080), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address()
  console.log(JSON.stringify({ msg: 'listening', url: `http://${address}:${port}`, proxy: proxyTarget?.href ?? null }))
})
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    server.close(() => process.exit(0))
    server.closeAllConnections()
  })
}
