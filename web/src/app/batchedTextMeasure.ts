import { atom } from '@tldraw/state'
import { TextManager, type BatchMeasurementRequest, type Editor, type TLMeasuredTextSize, type TLMeasureTextOpts } from 'tldraw'
import { loadedFontsFor } from './loadedFonts.ts'

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
 * A size is only good under the fonts it was measured with. The editor asks for every shape's
 * geometry in its constructor (the select tool's hover test builds the spatial index), before the
 * board's web fonts have loaded; tldraw holds its canvas back until they have, and reads the
 * geometries again then (its size caches depend on the fonts' load state). Measured at once, the
 * first batch would use the fallback font, and handing those sizes out later made a one-line label
 * 16 % narrower for everyone who opened the board, and wrap. So a batch waits for the fonts tldraw
 * waits for (at most {@link FONT_WAIT_MS}; the canvas is not shown meanwhile, and each label is
 * measured once, with its font), and each size carries which of its fonts had loaded when it was
 * measured (loadedFonts.ts) and is dropped if that changed since (a font that loads later, or the
 * wait running out).
 */

/** Requests measured together; bounds the hidden elements tldraw's batch keeps in the page at once. */
const CHUNK = 1000
/** How long a measured size waits for the geometry that asked for it. */
const RESULT_TTL_MS = 10_000
/** How long a batch waits for the board's web fonts before it measures with what the page has. */
const FONT_WAIT_MS = 3_000

interface Pending extends BatchMeasurementRequest {
  key: string
}

interface Measured {
  size: TLMeasuredTextSize
  /** {@link fontsState} of its font family when it was measured. */
  fonts: string
}

/** What the measurements inside {@link observeMeasurements} rested on. */
interface Observation {
  estimated: boolean
  families: Set<string>
}

const original = TextManager.prototype.measureHtml
const epoch = atom('scrawl.textMeasure.epoch', 0)
/** Real sizes from the last batch, by request; each is handed out once. */
const results = new Map<string, Measured>()
const queued = new Map<TextManager, Map<string, Pending>>()
let deferUntil = 0
let flushScheduled = false
/** Text managers whose editor's board fonts have loaded (or could not): their batches run at once. */
const fontsSettled = new WeakSet<TextManager>()
let installed = false
let clearTimer: ReturnType<typeof setTimeout> | undefined

let observing: Observation | null = null

/**
 * Runs `compute` (which measures text, e.g. a util computing a label size) and tells whether any
 * measurement in it was an estimate, and which fonts it rested on: a cache outside tldraw's
 * reactive system must not keep such a size, and must drop it when its fonts change
 * (labelSizeCache.ts, with {@link fontsStillAre}).
 */
export function observeMeasurements<T>(compute: () => T): { value: T; estimated: boolean; fonts: string; families: string[] } {
  const outer = observing
  const observation: Observation = { estimated: false, families: new Set() }
  observing = observation
  let value: T
  try {
    value = compute()
  } finally {
    observing = outer
  }
  if (outer) {
    outer.estimated ||= observation.estimated
    for (const family of observation.families) outer.families.add(family)
  }
  const families = [...observation.families]
  return { value, estimated: observation.estimated, families, fonts: fontsOf(families) }
}

/** Whether `families`' fonts are as {@link observeMeasurements} found them (`fonts`). */
export function fontsStillAre(families: string[], fonts: string): boolean {
  return fontsOf(families) === fonts
}

function fontsOf(families: string[]): string {
  return families.map((family) => fontsState(family)).join('|')
}

/** Counters for tests and the curious: how the last opening was measured. */
export const textMeasureStats = { batches: 0, batched: 0, single: 0, staleFonts: 0 }

function keyOf(html: string, opts: TLMeasureTextOpts): string {
  return `${JSON.stringify(opts)}\u0000${html}`
}

function estimate(opts: TLMeasureTextOpts): TLMeasuredTextSize {
  if (observing) observing.estimated = true
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

/** Which of a font-family list's fonts have loaded (loadedFonts.ts; tests pass their own). */
let fontsState: (fontFamily: string) => string = loadedFontsFor

/**
 * @tldraw/state keeps the stack of derivations being computed in a global singleton
 * (`singleton('capture')` in its capture.ts); a non-null stack means a read is being captured.
 */
function defaultIsCapturing(): boolean {
  const capture = (globalThis as Record<symbol, { stack: unknown } | undefined>)[Symbol.for('com.tldraw.state/capture')]
  return capture !== undefined && capture.stack !== null && capture.stack !== undefined
}

/**
 * The fonts tldraw loads before it shows the canvas (those of the current page's shapes, up to its
 * `maxFontsToLoadBeforeRender`): resolves once they have loaded or failed; null if there is nothing
 * to wait for. TextManager keeps its editor in a protected field (tests' managers have none).
 */
function boardFontsSettled(manager: TextManager): Promise<void> | null {
  const editor = (manager as unknown as { editor?: Editor }).editor
  const settle = () => void fontsSettled.add(manager)
  if (!editor?.fonts || editor.isDisposed) {
    settle()
    return null
  }
  return editor.fonts.loadRequiredFontsForCurrentPage(editor.options.maxFontsToLoadBeforeRender).then(settle, settle)
}

/** Runs {@link flush} now, or once the board fonts of every waiting manager are in. */
function flushWhenFontsSettled() {
  const waiting: Promise<void>[] = []
  for (const manager of queued.keys()) {
    const settled = fontsSettled.has(manager) ? null : boardFontsSettled(manager)
    if (settled) waiting.push(settled)
  }
  if (waiting.length === 0) return flush()
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, FONT_WAIT_MS)))
  void Promise.race([Promise.all(waiting), timeout]).then(() => {
    clearTimeout(timer)
    flush()
  })
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
      const sizes = manager.measureHtmlBatch(chunk)
      chunk.forEach((request, i) => results.set(request.key, { size: sizes[i], fonts: fontsState(request.opts.fontFamily) }))
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
  observing?.families.add(opts.fontFamily)
  const key = keyOf(html, opts)
  const ready = results.get(key)
  if (ready) {
    results.delete(key)
    if (ready.fonts === fontsState(opts.fontFamily)) return ready.size
    textMeasureStats.staleFonts++
  }
  if (performance.now() < deferUntil && inDerivation()) {
    epoch.get()
    let requests = queued.get(this)
    if (!requests) queued.set(this, (requests = new Map()))
    requests.set(key, { key, html, opts })
    if (!flushScheduled) {
      flushScheduled = true
      queueMicrotask(flushWhenFontsSettled)
    }
    return estimate(opts)
  }
  textMeasureStats.single++
  return original.call(this, html, opts)
}

/**
 * Replaces tldraw's `TextManager.prototype.measureHtml` (once) with the batching version above.
 * `isCapturing` tells whether a reactive derivation is running, `fonts` which of a font-family
 * list's fonts the page has loaded (default: loadedFonts.ts); tests pass their own.
 */
export function installBatchedTextMeasurement(isCapturing: () => boolean = defaultIsCapturing, fonts: (fontFamily: string) => string = loadedFontsFor): void {
  captureProbe = isCapturing
  fontsState = fonts
  if (installed) return
  installed = true
  TextManager.prototype.measureHtml = measureHtml
}

/**
 * Opens the batching window for `ms` (a board is about to be shown): text measured by shape
 * geometry in that time is measured in batches, one per task. 15 s by default: a 4,000-shape board
 * took 6-10 s to show on a busy 2-core machine, and labels measured after the window closes cost a
 * layout each (~1,500 of them then: seconds). A longer window costs nothing (an estimate is
 * corrected before anything is painted; labelSizeCache.ts keeps tldraw's own caches from keeping one).
 */
export function deferTextMeasurement(ms = 15_000): void {
  deferUntil = Math.max(deferUntil, performance.now() + ms)
}

/** Closes the batching window (the board is showing); anything queued is still measured. */
export function endTextMeasurementDeferral(): void {
  deferUntil = 0
}
