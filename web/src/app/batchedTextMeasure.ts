import { atom } from '@tldraw/state'
import { TextManager, type BatchMeasurementRequest, type TLMeasuredTextSize, type TLMeasureTextOpts } from 'tldraw'

/**
 * Measures the text of a freshly opened board in one layout pass instead of one per shape.
 *
 * tldraw sizes every text shape and every geo label by putting its HTML into a hidden element and
 * reading its size: a forced style recalculation and layout per shape, ~1.3 ms each. The editor
 * needs the bounds of every shape as soon as it exists (its hit test and culling index cover the
 * whole page), so a 5,000-shape board cost ~5 s of measuring before anything showed.
 *
 * While a board is opening ({@link deferTextMeasurement}), a measurement asked for from inside a
 * reactive derivation (a shape's geometry) is answered with a rough estimate and queued, and the
 * derivation is made to depend on an epoch atom. At the end of the task (a microtask), everything
 * queued is measured with tldraw's own `measureHtmlBatch` (one layout for all), and the epoch is
 * bumped: each of those geometries recomputes and finds its real size waiting. Nothing is painted,
 * and no input is handled, between the estimate and the correction. Outside that window, and for
 * calls outside a derivation (which may write the size into a shape), measuring is tldraw's.
 *
 * A size waiting for its geometry is only good under the fonts it was measured with. tldraw holds
 * its canvas back until the board's web fonts have loaded, but shape geometry is asked for before
 * that, so the first batch is measured with the fallback font; the geometries are read again only
 * after the font arrived (tldraw's size caches depend on the fonts' load state), and they must not
 * be handed the fallback sizes then: that made a one-line label 16 % narrower for everyone who
 * opened the board, and wrap. So each size carries the page's font state when it was measured,
 * and is dropped if the fonts changed since.
 */

/** Requests measured together; bounds the hidden elements tldraw's batch keeps in the page at once. */
const CHUNK = 1000
/** How long a measured size waits for the geometry that asked for it. */
const RESULT_TTL_MS = 10_000

interface Pending extends BatchMeasurementRequest {
  key: string
}

interface Measured {
  size: TLMeasuredTextSize
  /** {@link fontsState} when it was measured. */
  fonts: string
}

const original = TextManager.prototype.measureHtml
const epoch = atom('scrawl.textMeasure.epoch', 0)
/** Real sizes from the last batch, by request; each is handed out once. */
const results = new Map<string, Measured>()
const queued = new Map<TextManager, Map<string, Pending>>()
let deferUntil = 0
let flushScheduled = false
let installed = false
let clearTimer: ReturnType<typeof setTimeout> | undefined

let estimates = 0

/**
 * How many estimates have been handed out so far. A size computed while this changed rests on an
 * estimate: a cache outside tldraw's reactive system must not keep it (labelSizeCache.ts).
 */
export function estimatesHandedOut(): number {
  return estimates
}

/** The page's fonts now, as sizes are tagged with (a remembered size is good only under the same). */
export function currentFonts(): string {
  return fontsState()
}

/** Counters for tests and the curious: how the last opening was measured. */
export const textMeasureStats = { batches: 0, batched: 0, single: 0, staleFonts: 0 }

function keyOf(html: string, opts: TLMeasureTextOpts): string {
  return `${JSON.stringify(opts)}\u0000${html}`
}

function estimate(opts: TLMeasureTextOpts): TLMeasuredTextSize {
  estimates++
  const lineHeight = Math.round(opts.fontSize * opts.lineHeight)
  const w = opts.maxWidth ?? opts.minWidth ?? opts.fontSize * 8
  // scrollWidth = w: "no overflow", or a note would ask again at each smaller font size (~9 requests).
  return { x: 0, y: 0, w, h: lineHeight, scrollWidth: w }
}

/** Whether tldraw's reactive system is computing something now (geometry caches are derivations). */
function inDerivation(): boolean {
  return captureProbe()
}
let captureProbe: () => boolean = () => false

/** What fonts the page has now; a change means text may measure differently. */
let fontsState: () => string = () => ''

/**
 * How many of the page's font faces have loaded. A face's status turns to `loaded` in a task of its
 * own, never in the middle of a synchronous run of measurements, so equal counts mean the same fonts
 * were laid out. (The set's size and `status` are not enough: tldraw's faces can be in the set
 * before they load, and the set stays `loading` while any other face is.) ~30 faces: ~1 µs a call.
 */
function defaultFontsState(): string {
  if (typeof document === 'undefined' || !document.fonts) return ''
  let loaded = 0
  for (const face of document.fonts) if (face.status === 'loaded') loaded++
  return String(loaded)
}

/**
 * @tldraw/state keeps the stack of derivations being computed in a global singleton
 * (`singleton('capture')` in its capture.ts); a non-null stack means a read is being captured.
 */
function defaultIsCapturing(): boolean {
  const capture = (globalThis as Record<symbol, { stack: unknown } | undefined>)[Symbol.for('com.tldraw.state/capture')]
  return capture !== undefined && capture.stack !== null && capture.stack !== undefined
}

function flush() {
  flushScheduled = false
  const batches = [...queued]
  queued.clear()
  let count = 0
  for (const [manager, requests] of batches) {
    const list = [...requests.values()]
    for (let start = 0; start < list.length; start += CHUNK) {
      const chunk = list.slice(start, start + CHUNK)
      const fonts = fontsState()
      const sizes = manager.measureHtmlBatch(chunk)
      chunk.forEach((request, i) => results.set(request.key, { size: sizes[i], fonts }))
      textMeasureStats.batches++
    }
    // tldraw keeps one hidden element per request of the last batch; give all but one back.
    if (list.length > 1) manager.measureHtmlBatch(list.slice(0, 1))
    count += list.length
  }
  textMeasureStats.batched += count
  if (clearTimer !== undefined) clearTimeout(clearTimer)
  clearTimer = setTimeout(() => results.clear(), RESULT_TTL_MS)
  if (count) epoch.update((n) => n + 1)
}

function measureHtml(this: TextManager, html: string, opts: TLMeasureTextOpts): TLMeasuredTextSize {
  const key = keyOf(html, opts)
  const ready = results.get(key)
  if (ready) {
    results.delete(key)
    if (ready.fonts === fontsState()) return ready.size
    textMeasureStats.staleFonts++
  }
  if (performance.now() < deferUntil && inDerivation()) {
    epoch.get()
    let requests = queued.get(this)
    if (!requests) queued.set(this, (requests = new Map()))
    requests.set(key, { key, html, opts })
    if (!flushScheduled) {
      flushScheduled = true
      queueMicrotask(flush)
    }
    return estimate(opts)
  }
  textMeasureStats.single++
  return original.call(this, html, opts)
}

/**
 * Replaces tldraw's `TextManager.prototype.measureHtml` (once) with the batching version above.
 * `isCapturing` tells whether a reactive derivation is running, `fonts` what fonts the page has
 * (default: how many of `document.fonts` have loaded); tests pass their own.
 */
export function installBatchedTextMeasurement(isCapturing: () => boolean = defaultIsCapturing, fonts: () => string = defaultFontsState): void {
  captureProbe = isCapturing
  fontsState = fonts
  if (installed) return
  installed = true
  TextManager.prototype.measureHtml = measureHtml
}

/**
 * Opens the batching window for `ms` (a board is about to be shown): text measured by shape
 * geometry in that time is measured in batches, one per task.
 */
export function deferTextMeasurement(ms = 5_000): void {
  deferUntil = Math.max(deferUntil, performance.now() + ms)
}

/** Closes the batching window (the board is showing); anything queued is still measured. */
export function endTextMeasurementDeferral(): void {
  deferUntil = 0
}
