/** A run of text, marked (part of a search match) or not. */
export interface TextSegment {
  text: string
  marked: boolean
}

/**
 * Splits `text` into runs by the server's match offsets (UTF-16 [start, end) pairs), so the page can
 * wrap the marked runs in `<mark>` as React text, never as HTML. Offsets are clamped to the text,
 * empty, inverted or malformed ranges are dropped, overlapping and touching ones merged, and a
 * boundary inside a surrogate pair is widened so no character is cut in half.
 */
export function highlightSegments(text: string, ranges: ReadonlyArray<readonly [number, number]> | undefined | null): TextSegment[] {
  const clean: Array<[number, number]> = []
  for (const range of ranges ?? []) {
    if (!Array.isArray(range) || range.length !== 2) continue
    let [start, end] = range
    if (!Number.isFinite(start) || !Number.isFinite(end)) continue
    start = Math.max(0, Math.min(text.length, Math.floor(start)))
    end = Math.max(0, Math.min(text.length, Math.ceil(end)))
    if (isLowSurrogate(text, start)) start--
    if (isLowSurrogate(text, end)) end++
    if (end > start) clean.push([start, end])
  }
  clean.sort((a, b) => a[0] - b[0])
  const merged: Array<[number, number]> = []
  for (const range of clean) {
    const last = merged.at(-1)
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1])
    else merged.push([...range])
  }
  const segments: TextSegment[] = []
  let at = 0
  for (const [start, end] of merged) {
    if (start > at) segments.push({ text: text.slice(at, start), marked: false })
    segments.push({ text: text.slice(start, end), marked: true })
    at = end
  }
  if (at < text.length || segments.length === 0) segments.push({ text: text.slice(at), marked: false })
  return segments
}

/** Whether the code unit at `index` is the second half of a surrogate pair. */
function isLowSurrogate(text: string, index: number): boolean {
  if (index <= 0 || index >= text.length) return false
  const code = text.charCodeAt(index)
  const before = text.charCodeAt(index - 1)
  return code >= 0xdc00 && code <= 0xdfff && before >= 0xd800 && before <= 0xdbff
}
