import { atom, type Atom } from '@tldraw/state'
import { isRecordsDiffEmpty, squashRecordDiffs, type RecordsDiff } from '@tldraw/store'
import { DocumentRecordType, PageRecordType, TLDOCUMENT_ID, type TLRecord, type TLStore } from '@tldraw/tlschema'
import * as Y from 'yjs'
import { FORMAT_VERSION, FORMAT_VERSION_KEY, SCHEMA_KEY, metaMap, recordsMap } from './docLayout.ts'
import { createLabelTexts } from './labelText.ts'
import { decodeRecord, encodeRecord, jsonEqual, patchRecord, type PlainRecord } from './recordCodec.ts'
import { compareSchemas, type SerializedSchemaV2 } from './schemaVersion.ts'

/**
 * What the binding can do with this document:
 * - 'ready': edits flow both ways;
 * - 'needs-reload': a newer Scrawl wrote the document (or it cannot be migrated); this client
 *   writes nothing, since it cannot validate what it would be writing over, and asks the user to reload.
 */
export type BindingState = { kind: 'ready' } | { kind: 'needs-reload'; reason: string }

/** Options of {@link bindStoreToDoc}. */
export interface BindStoreToDocOptions {
  /** The tldraw store the editor renders; its document-scope records mirror the doc's. */
  store: TLStore
  /** The board's Y.Doc (docLayout.ts describes its layout). */
  doc: Y.Doc
  /**
   * Runs a callback on the next animation frame; local changes made in one frame become one Yjs
   * transaction, hence one update on the wire. Default: requestAnimationFrame, with a 100 ms timer
   * as a fallback because hidden tabs get no frames. Tests pass a manual scheduler.
   */
  requestFrame?: (callback: () => void) => void
  /**
   * Writes the default document and page when the doc has none. Default true. Their ids are fixed,
   * so two clients seeding an empty room at once write the same records and converge on one page.
   */
  seed?: boolean
  /** Told about records in the doc that fail validation (they are skipped, not loaded). */
  onInvalidRecord?: (id: string, error: unknown) => void
  /**
   * Runs a callback once typing into a label has paused, to copy the label's text into
   * props.richText (labelText.ts). Default: 1 s after it is asked. Tests pass a manual scheduler.
   */
  scheduleTextCommit?: (callback: () => void) => void
}

/** The label side of the binding: what a text editor bound to a label's Y.XmlFragment uses. */
export interface LabelTextBinding {
  /** Binds an editor to the shape's label: returns its fragment (seeded from the store's richText if new). */
  bind(id: string): Y.XmlFragment
  /** The editor is gone: sends pending edits, commits the text, brings the store in line with the doc. */
  unbind(id: string): void
  /** Whether an editor here is bound to the shape's label. */
  isBound(id: string): boolean
  /** Called when a bound label's fragment was replaced by another client; the editor must bind again. */
  onRebind: ((id: string) => void) | null
}

/** A live link between a tldraw store and a Y.Doc. */
export interface StoreDocBinding {
  /** Whether this client may write; React reads it with `useValue`. */
  readonly state: Atom<BindingState>
  /** Writes pending local changes now instead of on the next frame (before unload, in tests). */
  flush(): void
  /**
   * Runs an undo or redo. Its changes are written with two guards that keep what others did in
   * the meantime: a field whose latest value in the doc came from another client is not reverted,
   * and a record another client deleted is not brought back.
   */
  runAsHistoryReplay(replay: () => void): void
  /** Per-character label text (labelText.ts). */
  readonly labels: LabelTextBinding
  /** Stops syncing; the store and the doc keep their contents. */
  dispose(): void
}

/** The id of the page seeded into an empty board; fixed so concurrent seeding converges. */
export const SEED_PAGE_ID = PageRecordType.createId('page')

/**
 * Binds a tldraw store to a Y.Doc: loads (and if need be migrates) the board into the store, then
 * sends local user edits to the doc once per frame and merges the doc's remote edits into the store.
 * Remote merges use `store.mergeRemoteChanges`, so they never enter tldraw's undo history.
 */
export function bindStoreToDoc(options: BindStoreToDocOptions): StoreDocBinding {
  const { store, doc, seed = true, onInvalidRecord = () => {} } = options
  const requestFrame = options.requestFrame ?? defaultRequestFrame
  const records = recordsMap(doc)
  const meta = metaMap(doc)
  const ourSchema = store.schema.serialize() as SerializedSchemaV2
  /** Marks our own transactions so the doc observers can skip them. */
  const origin = { binding: 'scrawl-store' }
  const state = atom<BindingState>('scrawl.binding.state', { kind: 'ready' })
  const scheduleTextCommit = options.scheduleTextCommit ?? ((callback: () => void) => void setTimeout(callback, 1000))
  const labels = createLabelTexts(doc, {
    origin,
    scheduleCommit: (commit) => scheduleTextCommit(() => !disposed && state.get().kind === 'ready' && commit()),
    onRemoteText: (ids) => {
      if (state.get().kind !== 'ready') return
      flushStoreThenLocal()
      mergeIntoStore(ids)
    },
    onRebind: (id) => labelBinding.onRebind?.(id),
  })

  /** Local changes since the last frame, squashed when written. */
  let pending: RecordsDiff<TLRecord>[] = []
  let frameRequested = false
  let replaying = false
  let disposed = false
  /** Ids another client deleted: a local write must not bring them back (e.g. an undo of an older edit). */
  const removedRemotely = new Set<string>()

  const isDocumentRecord = (record: PlainRecord) =>
    Object.hasOwn(store.schema.types, record.typeName) &&
    store.schema.types[record.typeName as TLRecord['typeName']].scope === 'document'

  const blockWrites = (reason: string) => {
    pending = []
    state.set({ kind: 'needs-reload', reason })
  }

  // ---- load: schema check, migration, seeding, then the records into the store ----
  const relation = meta.has(SCHEMA_KEY) ? compareSchemas(ourSchema, meta.get(SCHEMA_KEY)) : 'same'
  if (relation === 'newer' || relation === 'unknown') {
    blockWrites('This board was saved by a newer version of Scrawl. Reload the page to get it.')
  } else {
    if (relation === 'older' && !migrateDoc()) {
      blockWrites('This board could not be upgraded to this version of Scrawl.')
    } else {
      if (seed) seedDoc()
      loadAll()
    }
  }

  function migrateDoc(): boolean {
    const before = new Map<string, PlainRecord>()
    for (const [id, value] of records.entries()) {
      const record = decodeRecord(value)
      if (record) before.set(id, record)
    }
    const result = store.schema.migrateStoreSnapshot({
      store: Object.fromEntries(before) as unknown as Record<string, TLRecord>,
      schema: meta.get(SCHEMA_KEY) as SerializedSchemaV2,
    })
    if (result.type !== 'success') return false
    const after = result.value as unknown as Record<string, PlainRecord>
    doc.transact(() => {
      for (const [id, record] of Object.entries(after)) {
        const yRecord = records.get(id)
        const old = before.get(id)
        if (yRecord instanceof Y.Map && old) patchRecord(yRecord, old, record)
        else records.set(id, encodeRecord(record))
      }
      for (const id of before.keys()) if (!(id in after)) records.delete(id)
      meta.set(SCHEMA_KEY, ourSchema)
      meta.set(FORMAT_VERSION_KEY, FORMAT_VERSION)
    }, origin)
    return true
  }

  function seedDoc() {
    // tldraw ids carry their type as a prefix, so no record needs decoding here.
    const hasPage = [...records.keys()].some((id) => id.startsWith('page:'))
    if (records.has(TLDOCUMENT_ID) && hasPage && meta.has(SCHEMA_KEY)) return
    doc.transact(() => {
      if (!meta.has(SCHEMA_KEY)) meta.set(SCHEMA_KEY, ourSchema)
      if (!meta.has(FORMAT_VERSION_KEY)) meta.set(FORMAT_VERSION_KEY, FORMAT_VERSION)
      if (!records.has(TLDOCUMENT_ID)) {
        records.set(TLDOCUMENT_ID, encodeRecord(DocumentRecordType.create({ id: TLDOCUMENT_ID })))
      }
      if (!hasPage) {
        const page = PageRecordType.create({ id: SEED_PAGE_ID, name: 'Page 1', index: 'a1' as never })
        records.set(SEED_PAGE_ID, encodeRecord(page))
      }
    }, origin)
  }

  function loadAll() {
    const ids = new Set<string>(records.keys())
    for (const record of store.allRecords()) {
      if (isDocumentRecord(record)) ids.add(record.id)
    }
    mergeIntoStore(ids)
  }

  /** Makes the store's copy of each id match the doc (put, or remove when the doc has none). */
  function mergeIntoStore(ids: Iterable<string>) {
    const puts: TLRecord[] = []
    const removals: TLRecord['id'][] = []
    for (const id of ids) {
      const record = decodeRecord(records.get(id))
      if (!record) {
        if (store.has(id as TLRecord['id'])) removals.push(id as TLRecord['id'])
        continue
      }
      if (!isDocumentRecord(record)) {
        onInvalidRecord(id, new Error(`Not a document record type: ${record.typeName}`))
        continue
      }
      const existing = store.get(id as TLRecord['id']) ?? null
      const props = richTextProps(record)
      if (props) {
        // A label being edited here shows its editor's text; feeding it back would reset the caret.
        props.richText = labels.isBound(id) && existing ? richTextProps(existing)!.richText : labels.readRichText(id, props.richText)
      }
      try {
        puts.push(
          store.schema.validateRecord(store, record as unknown as TLRecord, existing ? 'updateRecord' : 'createRecord', existing),
        )
      } catch (error) {
        onInvalidRecord(id, error)
      }
    }
    if (puts.length === 0 && removals.length === 0) return
    store.mergeRemoteChanges(() => {
      if (puts.length) store.put(puts)
      if (removals.length) store.remove(removals)
    })
  }

  // ---- local -> doc ----
  const stopListening = store.listen(
    ({ changes }) => {
      if (state.get().kind !== 'ready') return
      pending.push(changes)
      if (replaying || frameRequested) return
      frameRequested = true
      requestFrame(() => {
        frameRequested = false
        flushLocal()
      })
    },
    { source: 'user', scope: 'document' },
  )

  function flushLocal() {
    if (disposed || pending.length === 0 || state.get().kind !== 'ready') return
    const diff = squashRecordDiffs(pending)
    pending = []
    if (isRecordsDiffEmpty(diff)) return
    const storeFixes = new Set<string>()

    const writeWhole = (record: PlainRecord) => {
      if (!records.has(record.id) && removedRemotely.has(record.id)) {
        storeFixes.add(record.id)
        return
      }
      records.set(record.id, encodeRecord(record))
    }

    doc.transact(() => {
      for (const record of Object.values(diff.added)) {
        const props = richTextProps(record)
        if (!props) {
          writeWhole(record)
          continue
        }
        writeWhole({ ...record, props: { ...props, richText: labels.richTextForNewRecord(record.id, props.richText) } } as unknown as PlainRecord)
        labels.afterNewRecord(record.id)
      }
      for (const [before, after] of Object.values(diff.updated)) {
        const yRecord = records.get(after.id)
        if (!(yRecord instanceof Y.Map)) {
          writeWhole(after)
          continue
        }
        const keep = replaying ? keepUnlessOthersWroteLast(yRecord, () => storeFixes.add(after.id)) : undefined
        const [beforeProps, afterProps] = [richTextProps(before), richTextProps(after)]
        const yProps = yRecord.get('props')
        if (beforeProps && afterProps && yProps instanceof Y.Map && !jsonEqual(beforeProps.richText, afterProps.richText)) {
          // Label text goes through labelText.ts: a bound editor already wrote it into the fragment.
          if (!labels.isBound(after.id) && (!keep || keep('props', 'richText'))) labels.writeLocal(after.id, yProps, afterProps.richText)
          patchRecord(yRecord, { ...before, props: { ...beforeProps, richText: afterProps.richText } } as unknown as PlainRecord, after, keep)
        } else {
          patchRecord(yRecord, before, after, keep)
        }
      }
      for (const record of Object.values(diff.removed)) {
        records.delete(record.id)
        labels.deleted(record.id)
      }
    }, origin)

    // The store went ahead of what the guards let through; bring it back to the doc's truth.
    if (storeFixes.size) mergeIntoStore(storeFixes)
  }

  /** Undo may only revert fields this client wrote last; later edits by others stand. */
  function keepUnlessOthersWroteLast(yRecord: Y.Map<unknown>, onVeto: () => void) {
    return (field: string, prop?: string) => {
      let map = yRecord
      let key = field
      if (prop !== undefined) {
        const yProps = yRecord.get(field)
        if (yProps instanceof Y.Map) {
          map = yProps
          key = prop
        }
      }
      const writer = lastWriter(map, key)
      if (writer === undefined || writer === doc.clientID) return true
      onVeto()
      return false
    }
  }

  function flushStoreThenLocal() {
    // tldraw delivers store changes to listeners once per frame; pull them now.
    store._flushHistory()
    flushLocal()
  }

  // ---- doc -> store ----
  const onRecordsChange = (events: Array<Y.YEvent<any>>, transaction: Y.Transaction) => {
    if (transaction.origin === origin || state.get().kind !== 'ready') return
    // Our unsent edits go first, or the incoming records would overwrite them in the store.
    flushStoreThenLocal()
    const ids = new Set<string>()
    for (const event of events) {
      if (event.target === records) for (const key of (event as Y.YMapEvent<unknown>).keysChanged) ids.add(key)
      else ids.add(String(event.path[0]))
    }
    for (const id of ids) {
      if (records.has(id)) removedRemotely.delete(id)
      else removedRemotely.add(id)
    }
    mergeIntoStore(ids)
  }
  records.observeDeep(onRecordsChange)

  const onMetaChange = (event: Y.YMapEvent<unknown>, transaction: Y.Transaction) => {
    // Only the schema concerns the binding; other meta keys (the board's title) are not records.
    if (transaction.origin === origin || !event.keysChanged.has(SCHEMA_KEY) || !meta.has(SCHEMA_KEY)) return
    const now = compareSchemas(ourSchema, meta.get(SCHEMA_KEY))
    if (now === 'newer' || now === 'unknown') {
      blockWrites('Someone opened this board with a newer version of Scrawl. Reload the page to keep editing.')
    }
  }
  meta.observe(onMetaChange)

  const labelBinding: LabelTextBinding = {
    bind(id) {
      const shape = store.get(id as TLRecord['id'])
      return labels.bind(id, shape ? richTextProps(shape)?.richText : undefined)
    },
    unbind(id) {
      flushStoreThenLocal()
      labels.unbind(id)
      if (!disposed && state.get().kind === 'ready') mergeIntoStore([id])
    },
    isBound: (id) => labels.isBound(id),
    onRebind: null,
  }

  return {
    state,
    labels: labelBinding,
    flush() {
      flushStoreThenLocal()
      if (state.get().kind === 'ready') labels.commitPending()
    },
    runAsHistoryReplay(replay) {
      flushStoreThenLocal()
      replaying = true
      try {
        replay()
        flushStoreThenLocal()
      } finally {
        replaying = false
      }
    },
    dispose() {
      if (disposed) return
      flushStoreThenLocal()
      if (state.get().kind === 'ready') labels.commitPending()
      disposed = true
      labels.dispose()
      stopListening()
      records.unobserveDeep(onRecordsChange)
      meta.unobserve(onMetaChange)
    },
  }
}

/** The props of a record that has a rich text label (text, note, geo, arrow and the like), or null. */
function richTextProps(record: PlainRecord | TLRecord): { richText: unknown } | null {
  const props = (record as { props?: unknown }).props
  return typeof props === 'object' && props !== null && 'richText' in props ? (props as { richText: unknown }) : null
}

/**
 * The client that wrote a map key's current value. Yjs keeps each key's winning entry as an Item
 * whose id names its author; `_map` is internal but stable across Yjs 13.
 */
function lastWriter(map: Y.Map<unknown>, key: string): number | undefined {
  const item = (map as unknown as { _map: Map<string, { id: { client: number } }> })._map.get(key)
  return item?.id.client
}

function defaultRequestFrame(callback: () => void) {
  let done = false
  const run = () => {
    if (done) return
    done = true
    callback()
  }
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(run)
  setTimeout(run, 100)
}
