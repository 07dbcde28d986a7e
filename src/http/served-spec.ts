import { parseDocument } from 'yaml'

/**
 * openapi.yaml as GET /openapi.yaml serves it: its `servers` say where this
 * keyturn is reached, so that /docs' "Try it out" and clients generated from
 * the served document call it there. The file's own entry is relative (`/`:
 * wherever the document was read from); with PUBLIC_URL set (a proxy, a
 * prefix, another host) the served document names PUBLIC_URL instead.
 */
export function servedSpecText(text: string, publicUrl: string | undefined): string {
  if (!publicUrl) return text
  const document = parseDocument(text)
  document.set('servers', document.createNode([{ url: publicUrl, description: 'PUBLIC_URL' }]))
  return document.toString({ lineWidth: 0 })
}
