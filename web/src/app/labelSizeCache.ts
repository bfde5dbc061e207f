import { fontsStillAre, observeMeasurements } from './batchedTextMeasure.ts'

/**
 * Label sizes that tldraw's note and geo utils remember, kept honest while a board opens.
 *
 * Those utils keep each shape record's label size in a plain per-record cache (`WeakCache`, fields
 * `_labelSizesForNoteCache` and `_labelSizesForGeoCache` in tldraw 5.4), outside tldraw's reactive
 * system. While a board opens, batchedTextMeasure.ts answers the first measurement of every label
 * with an estimate and corrects it a moment later; the shape's geometry is recomputed then, but
 * asked that cache again and got the estimate back, for as long as the record was unchanged. A
 * fresh reader's notes and geo labels thus kept a one-line label geometry (a 9-line note label was
 * 51 px high instead of 302), which hit tests and editing use; and a size measured before the web
 * font had loaded was kept after it had (the geometry is recomputed when the shape's fonts load,
 * the cache was not). This cache remembers a size only if no estimate went into it, and only while
 * its fonts are as they were when it was measured.
 */

interface Remembered {
  size: unknown
  families: string[]
  fonts: string
}

/** Stands in for tldraw's `WeakCache` (its `get` is all the utils call). */
class MeasuredLabelSizes {
  private readonly sizes = new WeakMap<object, Remembered>()

  get(record: object, compute: (record: object) => unknown): unknown {
    const remembered = this.sizes.get(record)
    if (remembered && fontsStillAre(remembered.families, remembered.fonts)) return remembered.size
    const { value, estimated, families, fonts } = observeMeasurements(() => compute(record))
    if (estimated) this.sizes.delete(record)
    else this.sizes.set(record, { size: value, families, fonts })
    return value
  }
}

type UtilClass = new (...args: any[]) => object

/**
 * `Base` (a tldraw shape util) with its per-record label size cache `field` replaced by one that
 * remembers only measured sizes. Throws on construction if tldraw no longer has that field, so an
 * upgrade that moves it fails loudly (web/test/labelSizeCache.test.ts) instead of quietly bringing
 * the frozen estimates back.
 */
export function rememberMeasuredLabelSizesOnly<T extends UtilClass>(Base: T, field: string): T {
  return class extends Base {
    constructor(...args: any[]) {
      super(...args)
      if (!(field in this)) throw new Error(`${Base.name} has no ${field}: see web/src/app/labelSizeCache.ts`)
      ;(this as Record<string, unknown>)[field] = new MeasuredLabelSizes()
    }
  }
}
