import { currentFonts, estimatesHandedOut } from './batchedTextMeasure.ts'

/**
 * Label sizes that tldraw's note and geo utils remember, kept honest while a board opens.
 *
 * Those utils keep each shape record's label size in a plain per-record cache (`WeakCache`, fields
 * `_labelSizesForNoteCache` and `_labelSizesForGeoCache` in tldraw 5.4), outside tldraw's reactive
 * system. While a board opens, batchedTextMeasure.ts answers the first measurement of every label
 * with an estimate and corrects it a moment later; the shape's geometry is recomputed then, but
 * asks that cache again and gets the estimate back, for as long as the record is unchanged. A
 * fresh reader's notes and geo labels thus kept a one-line label geometry (a 9-line note label was
 * 51 px high instead of 302), which hit tests and editing use; and a size measured before the web
 * font had loaded was kept after it had. This cache remembers a size only if no estimate went into
 * it, and only under the fonts it was measured with.
 */

interface Remembered {
  size: unknown
  fonts: string
}

/** Stands in for tldraw's `WeakCache` (its `get` is all the utils call). */
class MeasuredLabelSizes {
  private readonly sizes = new WeakMap<object, Remembered>()

  get(record: object, compute: (record: object) => unknown): unknown {
    const fonts = currentFonts()
    const remembered = this.sizes.get(record)
    if (remembered && remembered.fonts === fonts) return remembered.size
    const before = estimatesHandedOut()
    const size = compute(record)
    if (estimatesHandedOut() === before) this.sizes.set(record, { size, fonts })
    else this.sizes.delete(record)
    return size
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
