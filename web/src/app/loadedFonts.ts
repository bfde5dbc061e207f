/**
 * Which of a text's fonts the page has loaded, as a string to compare: a size measured under one
 * answer is stale under another (batchedTextMeasure.ts, labelSizeCache.ts).
 *
 * Per family named in a CSS font-family list ("'tldraw_draw', sans-serif"), the number of the
 * page's font faces of that family whose status is `loaded`. Only the text's own families count,
 * so a board's other fonts (tldraw loads serif, mono and bold faces later) do not make its sizes
 * stale. A face's status turns `loaded` in a task of its own, and tldraw adds the faces it loads
 * to `document.fonts` in a promise callback, so the counts are taken once per microtask turn (a
 * change seen one turn late only makes a size be measured again, never a stale one kept).
 */

let countsThisTurn: Map<string, number> | null = null
const familiesByList = new Map<string, string[]>()

function unquote(name: string): string {
  return name.trim().replace(/^(['"])(.*)\1$/, '$2')
}

function loadedFacesByFamily(): Map<string, number> {
  if (countsThisTurn) return countsThisTurn
  const counts = new Map<string, number>()
  if (typeof document !== 'undefined' && document.fonts) {
    for (const face of document.fonts) {
      if (face.status !== 'loaded') continue
      const family = unquote(face.family)
      counts.set(family, (counts.get(family) ?? 0) + 1)
    }
  }
  countsThisTurn = counts
  queueMicrotask(() => (countsThisTurn = null))
  return counts
}

/** E.g. `"tldraw_draw:1,sans-serif:0"` for `"'tldraw_draw', sans-serif"`; '' without a DOM. */
export function loadedFontsFor(fontFamily: string): string {
  if (typeof document === 'undefined') return ''
  let families = familiesByList.get(fontFamily)
  if (!families) {
    families = fontFamily.split(',').map(unquote)
    familiesByList.set(fontFamily, families)
  }
  const loaded = loadedFacesByFamily()
  return families.map((family) => `${family}:${loaded.get(family) ?? 0}`).join(',')
}
