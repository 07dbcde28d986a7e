import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

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
}

const fromSwaggerUi = (file: string) => () => readFileSync(path.join(swaggerUiDir, file))

/** The files the page loads; openapi.yaml's enum for /docs/assets/{file} lists the same names. */
const assets: Record<string, Asset> = {
  'swagger-ui.css': { type: 'text/css; charset=utf-8', body: fromSwaggerUi('swagger-ui.css') },
  'swagger-ui-bundle.js': { type: 'text/javascript; charset=utf-8', body: fromSwaggerUi('swagger-ui-bundle.js') },
  'favicon-32x32.png': { type: 'image/png', body: fromSwaggerUi('favicon-32x32.png') },
  'docs.js': { type: 'text/javascript; charset=utf-8', body: () => initializer },
}

/** The asset named by a validated path parameter; read once, then kept. */
const loaded = new Map<string, { type: string; body: string | Buffer }>()
export function docsAsset(name: string): { type: string; body: string | Buffer } | undefined {
  const asset = assets[name]
  if (!asset) return undefined
  let entry = loaded.get(name)
  if (!entry) loaded.set(name, (entry = { type: asset.type, body: asset.body() }))
  return entry
}
