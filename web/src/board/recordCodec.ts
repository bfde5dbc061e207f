import * as Y from 'yjs'

/**
 * How one tldraw record is held in Yjs, so that concurrent edits to different fields merge and a
 * growing stroke sends only its new tail:
 *
 *   Y.Map  record            one key per top-level field; values are plain JSON
 *     'props' -> Y.Map        one key per prop, so two people restyling one shape both win
 *       'segments' -> Y.Array of Y.Map   (draw and highlight shapes)
 *          'type', 'dim' -> JSON; 'path' -> Y.Text holding tldraw's base64 path string
 *
 * Reading needs no knowledge of this: `yRecord.toJSON()` is the record. Foreign writers may put
 * plain JSON anywhere; the next local edit of such a field upgrades it to this layout.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type JsonObject = { [key: string]: Json }

/** A record as far as the codec cares: a JSON object with an id and a type (every tldraw record is one). */
export interface PlainRecord {
  readonly id: string
  readonly typeName: string
}

/** The record's fields by name. */
function fieldsOf(record: PlainRecord): Record<string, unknown> {
  return record as unknown as Record<string, unknown>
}

const PROPS = 'props'
const SEGMENTS = 'segments'
const PATH = 'path'

/** Builds the Y.Map for a record that is not in the document yet. */
export function encodeRecord(record: PlainRecord): Y.Map<unknown> {
  const yRecord = new Y.Map<unknown>()
  for (const [key, value] of Object.entries(fieldsOf(record))) {
    if (value === undefined) continue
    yRecord.set(key, encodeField(key, value))
  }
  return yRecord
}

/** The record a Y.Map (or foreign plain object) holds. */
export function decodeRecord(value: unknown): PlainRecord | null {
  const fields = value instanceof Y.Map ? value.toJSON() : isPlainObject(value) ? structuredClone(value) : null
  return fields && typeof fields.id === 'string' && typeof fields.typeName === 'string' ? (fields as unknown as PlainRecord) : null
}

/**
 * Writes into `yRecord` the fields that differ between `before` and `after` (the two sides of a
 * local store change), descending into props and stroke paths so that unchanged data is not
 * re-sent. `keep(path)` may veto writing one field (see the undo guard in binding.ts).
 */
export function patchRecord(
  yRecord: Y.Map<unknown>,
  beforeRecord: PlainRecord,
  afterRecord: PlainRecord,
  keep: (field: string, prop?: string) => boolean = () => true,
): void {
  const before = fieldsOf(beforeRecord)
  const after = fieldsOf(afterRecord)
  for (const key of Object.keys(after)) {
    const next = after[key]
    if (next === undefined) {
      if (before[key] !== undefined && keep(key)) yRecord.delete(key)
      continue
    }
    if (jsonEqual(before[key], next)) continue
    const current = yRecord.get(key)
    if (key === PROPS && current instanceof Y.Map && isPlainObject(next)) {
      patchProps(current, isPlainObject(before[key]) ? before[key] : {}, next, (prop) => keep(key, prop))
    } else if (keep(key)) {
      yRecord.set(key, encodeField(key, next))
    }
  }
  for (const key of Object.keys(before)) {
    if (!(key in after) && keep(key)) yRecord.delete(key)
  }
}

function patchProps(yProps: Y.Map<unknown>, before: JsonObject, after: JsonObject, keep: (prop: string) => boolean) {
  for (const key of Object.keys(after)) {
    const next = after[key]
    if (next === undefined || jsonEqual(before[key], next) || !keep(key)) continue
    const current = yProps.get(key)
    if (key === SEGMENTS && current instanceof Y.Array && isSegmentList(next)) {
      patchSegments(current, next)
    } else {
      yProps.set(key, encodeProp(key, next))
    }
  }
  for (const key of Object.keys(before)) {
    if (!(key in after) && keep(key)) yProps.delete(key)
  }
}

/** Segments change at the end while a stroke grows, so only the tail is touched. */
function patchSegments(ySegments: Y.Array<unknown>, next: JsonObject[]) {
  const common = Math.min(ySegments.length, next.length)
  for (let i = 0; i < common; i++) {
    const ySegment = ySegments.get(i)
    const segment = next[i]
    if (!(ySegment instanceof Y.Map)) {
      ySegments.delete(i, 1)
      ySegments.insert(i, [encodeSegment(segment)])
      continue
    }
    for (const [key, value] of Object.entries(segment)) {
      const current = ySegment.get(key)
      if (key === PATH && current instanceof Y.Text && typeof value === 'string') {
        patchText(current, value)
      } else if (!jsonEqual(current instanceof Y.AbstractType ? current.toJSON() : current, value)) {
        ySegment.set(key, key === PATH && typeof value === 'string' ? new Y.Text(value) : value)
      }
    }
    for (const key of ySegment.keys()) {
      if (!(key in segment)) ySegment.delete(key)
    }
  }
  if (ySegments.length > next.length) ySegments.delete(next.length, ySegments.length - next.length)
  if (next.length > common) ySegments.insert(common, next.slice(common).map(encodeSegment))
}

/**
 * Rewrites a Y.Text to `next` by replacing only what follows the common prefix. tldraw appends to
 * a stroke's path, and its base64 encoding changes at most the last few characters before the new
 * ones, so a pointer move costs a handful of characters rather than the whole path.
 */
export function patchText(yText: Y.Text, next: string): void {
  const current = yText.toString()
  if (current === next) return
  const limit = Math.min(current.length, next.length)
  let prefix = 0
  while (prefix < limit && current.charCodeAt(prefix) === next.charCodeAt(prefix)) prefix++
  if (current.length > prefix) yText.delete(prefix, current.length - prefix)
  if (next.length > prefix) yText.insert(prefix, next.slice(prefix))
}

function encodeField(key: string, value: unknown): unknown {
  if (key === PROPS && isPlainObject(value)) {
    const yProps = new Y.Map<unknown>()
    for (const [prop, propValue] of Object.entries(value)) {
      if (propValue !== undefined) yProps.set(prop, encodeProp(prop, propValue))
    }
    return yProps
  }
  return value
}

function encodeProp(key: string, value: Json): unknown {
  if (key === SEGMENTS && isSegmentList(value)) return Y.Array.from(value.map(encodeSegment))
  return value
}

function encodeSegment(segment: JsonObject): Y.Map<unknown> {
  const ySegment = new Y.Map<unknown>()
  for (const [key, value] of Object.entries(segment)) {
    if (value === undefined) continue
    ySegment.set(key, key === PATH && typeof value === 'string' ? new Y.Text(value) : value)
  }
  return ySegment
}

/** tldraw's draw/highlight segments: objects with a string `path`. Older shapes used `points`. */
function isSegmentList(value: unknown): value is JsonObject[] {
  return Array.isArray(value) && value.every((s) => isPlainObject(s) && typeof s[PATH] === 'string')
}

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Y.AbstractType)
}

/** Structural equality of JSON values; tldraw keeps unchanged sub-objects identical, so the fast path is common. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a)) {
    const bArray = b as unknown[]
    return a.length === bArray.length && a.every((item, i) => jsonEqual(item, bArray[i]))
  }
  const aKeys = Object.keys(a).filter((k) => (a as JsonObject)[k] !== undefined)
  const bKeys = Object.keys(b).filter((k) => (b as JsonObject)[k] !== undefined)
  return aKeys.length === bKeys.length && aKeys.every((k) => jsonEqual((a as JsonObject)[k], (b as JsonObject)[k]))
}
