import assert from 'node:assert/strict'
import { test } from 'node:test'
import { computed } from '@tldraw/state'
import { TextManager, type BatchMeasurementRequest, type TLMeasureTextOpts } from 'tldraw'
import {
  deferTextMeasurement,
  endTextMeasurementDeferral,
  installBatchedTextMeasurement,
  textMeasureStats,
} from '../src/app/batchedTextMeasure.ts'

const opts: TLMeasureTextOpts = {
  fontFamily: 'tldraw_draw', fontStyle: 'normal', fontWeight: 'normal', fontSize: 22, lineHeight: 1.35, maxWidth: null, padding: '0px',
}

/** A TextManager without a DOM: a batch "measures" each label as 10 px per character. */
function fakeManager() {
  const batches: number[] = []
  const manager = Object.create(TextManager.prototype) as TextManager
  manager.measureHtmlBatch = (requests: BatchMeasurementRequest[]) => {
    batches.push(requests.length)
    return requests.map(({ html }) => ({ x: 0, y: 0, w: html.length * 10, h: 30, scrollWidth: 0 }))
  }
  return { manager, batches }
}

test('opening a board: N labels measured by shape geometry take one batch, and each geometry ends with its real size', async () => {
  installBatchedTextMeasurement()
  const { manager, batches } = fakeManager()
  const N = 300
  // Stand-ins for tldraw's per-shape geometry caches: derivations that measure their label.
  const geometries = Array.from({ length: N }, (_, i) => computed(`geometry ${i}`, () => manager.measureHtml(`<p>label ${i}</p>`, opts).w))
  const before = { ...textMeasureStats }

  deferTextMeasurement()
  try {
    const estimates = geometries.map((g) => g.get())
    assert.equal(batches.length, 0, 'nothing measured while the editor builds its index')
    assert.ok(estimates.every((w) => w > 0), 'estimates are usable sizes')
    await Promise.resolve() // the end of the task: the batch runs
    // One batch for all N labels (plus one call that gives tldraw's hidden elements back).
    assert.deepEqual(batches, [N, 1])
    assert.equal(textMeasureStats.batches - before.batches, 1)
    assert.equal(textMeasureStats.batched - before.batched, N)
    const real = geometries.map((g) => g.get())
    real.forEach((w, i) => assert.equal(w, `<p>label ${i}</p>`.length * 10))
    assert.equal(textMeasureStats.single, before.single, 'no label was measured on its own')
    assert.deepEqual(batches, [N, 1], 'the corrected geometries found their sizes without measuring again')
  } finally {
    endTextMeasurementDeferral()
  }
})

test('outside the opening window, or outside a derivation, measuring is tldraw\'s own, synchronous and exact', () => {
  installBatchedTextMeasurement()
  const { manager, batches } = fakeManager()
  // tldraw's measureHtml needs its hidden DOM element, absent here: throwing shows it was called.
  assert.throws(() => manager.measureHtml('<p>x</p>', opts), TypeError)
  deferTextMeasurement()
  try {
    // Deferring, but not inside a derivation (e.g. a side effect that writes the size into the shape).
    assert.throws(() => manager.measureHtml('<p>y</p>', opts), TypeError)
  } finally {
    endTextMeasurementDeferral()
  }
  assert.deepEqual(batches, [])
})

test('a size measured before a web font loaded is not handed out once the font is in: the label is measured again', async () => {
  let fonts = 'fallback'
  installBatchedTextMeasurement(undefined, () => fonts)
  try {
    const { manager, batches } = fakeManager()
    const geometry = computed('geometry', () => manager.measureHtml('<p>Hello from Alice today</p>', opts).w)
    const before = { ...textMeasureStats }
    deferTextMeasurement()
    try {
      geometry.get()
      await Promise.resolve() // measured in a batch, under the fallback font
      assert.deepEqual(batches, [1])
      // The font arrives before the geometry reads its size (tldraw holds its canvas back until then).
      fonts = 'tldraw_draw'
      geometry.get()
      assert.equal(textMeasureStats.staleFonts - before.staleFonts, 1, 'the fallback size was dropped')
      await Promise.resolve()
      assert.deepEqual(batches, [1, 1], 'measured again, under the loaded font')
      assert.equal(geometry.get(), '<p>Hello from Alice today</p>'.length * 10)
    } finally {
      endTextMeasurementDeferral()
    }
  } finally {
    installBatchedTextMeasurement()
  }
})

test("a batch waits for the fonts tldraw loads before showing the board, so each label is measured once, with its font", async () => {
  installBatchedTextMeasurement()
  const { manager, batches } = fakeManager()
  let fontsIn!: () => void
  const loading = new Promise<void>((resolve) => (fontsIn = resolve))
  // The editor a TextManager belongs to, as far as this needs it: its font manager and options.
  Object.assign(manager, {
    editor: { isDisposed: false, options: { maxFontsToLoadBeforeRender: Infinity }, fonts: { loadRequiredFontsForCurrentPage: () => loading } },
  })
  const geometry = computed('geometry', () => manager.measureHtml('<p>Hello from Alice today</p>', opts).w)
  deferTextMeasurement()
  try {
    geometry.get()
    await new Promise((resolve) => setTimeout(resolve, 10))
    assert.deepEqual(batches, [], 'nothing measured with the fallback font')
    fontsIn()
    await new Promise((resolve) => setTimeout(resolve, 0))
    assert.deepEqual(batches, [1])
    assert.equal(geometry.get(), '<p>Hello from Alice today</p>'.length * 10)
    // The fonts are in for this editor now: later batches run at the end of their task.
    const other = computed('other geometry', () => manager.measureHtml('<p>later</p>', opts).w)
    other.get()
    await Promise.resolve()
    assert.deepEqual(batches, [1, 1])
  } finally {
    endTextMeasurementDeferral()
  }
})
