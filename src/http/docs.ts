import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { promisify } from 'node:util'
import zlib from 'node:zlib'

const swaggerUiDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))

// Relative URLs, so the page also works behind a proxy that mounts keyturn under a prefix.
export const docsPage = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>keyturn API</title>
  <link rel="icon" type="image/png" href="docs/assets/favicon-32x32.png">
  <link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/assets/swagger-ui-bundle.js"></script>
  <script src="docs/assets/docs.js"></script>
</body>
</html>
`

const initializer = `window.ui = SwaggerUIBundle({ url: 'openapi.yaml', dom_id: '#swagger-ui', deepLinking: true })\n`

interface Asset {
  type: string
  body: () => string | Buffer
  /** Text: worth compressing (Swagger UI's bundle is 1.4 MB, 0.4 MB gzipped). */
  compress?: boolean
}

const fromSwaggerUi = (file: string) => () => readFileSync(path.join(swaggerUiDir, file))

/** The files the page loads; openapi.yaml's enum for /docs/assets/{file} lists the same names. */
const assets: Record<string, Asset> = {
  'swagger-ui.css': { type: 'text/css; charset=utf-8', body: fromSwaggerUi('swagger-ui.css'), compress: true },
  'swagger-ui-bundle.js': { type: 'text/javascript; charset=utf-8', body: fromSwaggerUi('swagger-ui-bundle.js'), compress: true },
  'favicon-32x32.png': { type: 'image/png', body: fromSwaggerUi('favicon-32x32.png') },
  'docs.js': { type: 'text/javascript; charset=utf-8', body: () => initializer },
}

export type Encoding = 'br' | 'gzip'

export interface LoadedAsset {
  type: string
  /** The file as it is, and compressed once (off the event loop) for clients that accept it. */
  bodies: { identity: string | Buffer } & Partial<Record<Encoding, Buffer>>
}

const brotli = promisify(zlib.brotliCompress)
const gzip = promisify(zlib.gzip)

async function load(asset: Asset): Promise<LoadedAsset> {
  const identity = asset.body()
  if (!asset.compress) return { type: asset.type, bodies: { identity } }
  const [br, gz] = await Promise.all([
    brotli(identity, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: identity.length } }),
    gzip(identity, { level: 9 }),
  ])
  return { type: asset.type, bodies: { identity, br, gzip: gz } }
}

/** The asset named by a validated path parameter; read and compressed once, then kept. */
const loaded = new Map<string, Promise<LoadedAsset>>()
export function docsAsset(name: string): Promise<LoadedAsset> | undefined {
  const asset = assets[name]
  if (!asset) return undefined
  let entry = loaded.get(name)
  if (!entry) loaded.set(name, (entry = load(asset)))
  return entry
}

/** The best encoding of `bodies` the client accepts (Accept-Encoding, q=0 refusing), or identity. */
export function chooseEncoding(acceptEncoding: string | undefined, bodies: LoadedAsset['bodies']): Encoding | 'identity' {
  const accepted = new Map<string, number>()
  for (const part of (acceptEncoding ?? '').toLowerCase().split(',')) {
    const [name = '', ...params] = part.trim().split(';')
    const q = params.map((param) => /^\s*q=([\d.]+)\s*$/.exec(param)?.[1]).find((value) => value !== undefined)
    if (name) accepted.set(name, q === undefined ? 1 : Number(q))
  }
  const quality = (encoding: string) => accepted.get(encoding) ?? accepted.get('*') ?? 0
  for (const encoding of ['br', 'gzip'] as const) if (bodies[encoding] && quality(encoding) > 0) return encoding
  return 'identity'
}
