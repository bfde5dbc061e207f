/**
 * Fetches the font most boards' text is in (tldraw's "draw" font, the default style) as the page
 * starts, into the page's cache, so that it is there when the editor asks for it.
 *
 * tldraw requests a board's fonts only once its editor exists, i.e. after the whole board has
 * arrived and been decoded, and holds its canvas back until they have loaded; the board's labels
 * are measured only then too (batchedTextMeasure.ts waits for them, so that no label is sized with
 * a fallback font). The download thus sat on the critical path of every fresh open: on a
 * 10,000-shape board the page idled ~2 s between "editor mounted" and "fonts loaded", longer on a
 * busy server. A `<link rel=preload as=font crossorigin>` is fetched the way a FontFace fetches
 * (CORS mode, same-origin credentials), so tldraw's own FontFace for that URL is answered from it.
 * The file is one of the app's bundled assets (assetUrls.ts): nothing leaves the server.
 *
 * Returns the link added, or null when there is no document head, no URL, or the link exists.
 */
export function preloadFont(url: string | undefined, doc: Document | undefined = globalThis.document): HTMLLinkElement | null {
  if (!doc?.head || !url) return null
  for (const existing of doc.head.querySelectorAll('link[rel="preload"]')) {
    if (existing.getAttribute('href') === url) return null
  }
  const link = doc.createElement('link')
  link.rel = 'preload'
  link.as = 'font'
  link.type = 'font/woff2'
  link.crossOrigin = 'anonymous'
  link.href = url
  doc.head.appendChild(link)
  return link
}
