/**
 * @tiptap/core with a faster `generateHTML`, substituted for the real module inside the app's bundle
 * (see the `tiptapGenerateHtmlCache` plugin in vite.config.ts).
 *
 * tldraw turns every text and label into HTML with `generateHTML(richText, extensions)` before it
 * measures it, and tiptap's version rebuilds the whole ProseMirror schema from the extensions (and
 * a DOMSerializer, and a fresh HTML document) on every call: ~1.5 ms each, so ~5 s for the 3,500
 * labels of a 5,000-shape board. tldraw always passes the same extensions array, so the schema is
 * built once per array here; the output is the same HTML.
 */
// The plugin resolves this one specifier (from this file only) to the real package.
import { DOMSerializer, Node, type Schema } from '@tiptap/pm/model'
import { getSchema, type Extensions, type JSONContent } from '@tiptap/core?real'

export * from '@tiptap/core?real'

const schemas = new WeakMap<Extensions, { schema: Schema; serializer: DOMSerializer }>()
let scratch: Document | undefined

/** Same result as tiptap's `generateHTML`; the schema and serializer are cached per extensions array. */
export function generateHTML(doc: JSONContent, extensions: Extensions): string {
  let entry = schemas.get(extensions)
  if (!entry) {
    const schema = getSchema(extensions)
    entry = { schema, serializer: DOMSerializer.fromSchema(schema) }
    schemas.set(extensions, entry)
  }
  const content = Node.fromJSON(entry.schema, doc).content
  scratch ??= document.implementation.createHTMLDocument()
  const container = scratch.createElement('div')
  container.appendChild(entry.serializer.serializeFragment(content, { document: scratch }))
  return container.innerHTML
}
