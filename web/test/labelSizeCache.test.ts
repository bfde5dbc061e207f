import assert from 'node:assert/strict'
import { test } from 'node:test'
import { atom, computed } from '@tldraw/state'
import { GeoShapeUtil, NoteShapeUtil, TextManager, WeakCache, type BatchMeasurementRequest, type Editor, type TLMeasureTextOpts } from 'tldraw'
import { deferTextMeasurement, endTextMeasurementDeferral, installBatchedTextMeasurement } from '../src/app/batchedTextMeasure.ts'
import { rememberMeasuredLabelSizesOnly } from '../src/app/labelSizeCache.ts'

const opts: TLMeasureTextOpts = {
  fontFamily: 'tldraw_draw', fontStyle: 'normal', fontWeight: 'normal', fontSize: 22, lineHeight: 1.35, maxWidth: 200, padding: '0px',
}

/** A TextManager without a DOM: a batch "measures" a label as 10 px per character, 30 px a line. */
function fakeManager() {
  let measured = 0
  const manager = Object.create(TextManager.prototype) as TextManager
  manager.measureHtmlBatch = (requests: BatchMeasurementRequest[]) =>
    requests.map(({ html }) => {
      measured++
      return { x: 0, y: 0, w: html.length * 10, h: 90, scrollWidth: html.length * 10 }
    })
  return { manager, measured: () => measured }
}

/** A util with a per-record label size cache, the way tldraw's note and geo utils keep one. */
class LabelledUtil {
  _labelSizes = new WeakCache<object, { h: number }>()
  manager: TextManager
  constructor(manager: TextManager) {
    this.manager = manager
  }
  getLabelSize(record: { html: string }) {
    return this._labelSizes.get(record, () => ({ h: this.manager.measureHtml(record.html, opts).h }))
  }
}

test("tldraw's note and geo utils still keep their label sizes in the fields that are replaced", () => {
  // An upgrade of tldraw that renames them makes construction throw, here and in the app.
  const editor = {} as Editor
  for (const [Util, field] of [[GeoShapeUtil, '_labelSizesForGeoCache'], [NoteShapeUtil, '_labelSizesForNoteCache']] as const) {
    const util = new (rememberMeasuredLabelSizesOnly(Util, field))(editor) as unknown as Record<string, unknown>
    assert.ok(!(util[field] instanceof WeakCache), `${Util.name}.${field} is replaced`)
    assert.equal(typeof (util[field] as { get?: unknown }).get, 'function')
  }
  assert.throws(() => new (rememberMeasuredLabelSizesOnly(GeoShapeUtil, '_noSuchCache'))(editor), /_noSuchCache/)
})

test('a label size that rests on an opening estimate is not remembered; the corrected geometry gets the measured one', async () => {
  // tldraw's geometry depends on its fonts' load state; so does this stand-in.
  const fonts = atom('fonts', 'fallback')
  installBatchedTextMeasurement(undefined, () => fonts.get())
  try {
    const { manager, measured } = fakeManager()
    const util = new (rememberMeasuredLabelSizesOnly(LabelledUtil, '_labelSizes'))(manager)
    const record = { html: '<p>a note with nine lines</p>' }
    // Stand-in for the shape's geometry: a derivation, recomputed when the batch corrects the estimate.
    const geometry = computed('note geometry', () => (fonts.get(), util.getLabelSize(record).h))
    deferTextMeasurement()
    try {
      assert.equal(geometry.get(), 30, 'the estimate: one line')
      await Promise.resolve()
      assert.equal(geometry.get(), 90, 'the measured height, not the remembered estimate')
      assert.equal(measured(), 1)
      assert.equal(util.getLabelSize(record).h, 90)
      assert.equal(measured(), 1, 'the measured size is remembered')

      // A web font arrives: the size measured under the fallback font is measured again.
      fonts.set('tldraw_draw')
      assert.equal(geometry.get(), 30, 'estimated again, in the window')
      await Promise.resolve()
      assert.equal(geometry.get(), 90)
      assert.equal(measured(), 2)
    } finally {
      endTextMeasurementDeferral()
    }
  } finally {
    installBatchedTextMeasurement()
  }
})
