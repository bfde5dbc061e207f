import type { SerializedSchema } from '@tldraw/store'
import type { TLRecord, TLStore } from '@tldraw/tlschema'

/** A board saved to a file: every document record, with the schema they were written in. */
export interface BoardFile {
  format: 'scrawl-board'
  formatVersion: 1
  schema: SerializedSchema
  records: TLRecord[]
}

/** The board in `store` as a JSON-ready object (works offline: the store has everything). */
export function exportBoard(store: TLStore): BoardFile {
  return {
    format: 'scrawl-board',
    formatVersion: 1,
    schema: store.schema.serialize(),
    records: store.allRecords().filter((r) => store.schema.types[r.typeName].scope === 'document'),
  }
}

/**
 * Replaces the board in `store` with a saved one, migrating it if it is older. Done as a user
 * change, so it syncs to everyone and can be undone. Throws on a file that is not a board or
 * comes from a newer Scrawl.
 */
export function importBoard(store: TLStore, file: unknown): void {
  if (!isBoardFile(file)) throw new Error('Not a Scrawl board file')
  const migrated = store.schema.migrateStoreSnapshot({
    schema: file.schema,
    store: Object.fromEntries(file.records.map((r) => [r.id, r])) as Record<TLRecord['id'], TLRecord>,
  })
  if (migrated.type !== 'success') throw new Error(`This board file cannot be opened here (${migrated.reason})`)
  const incoming = Object.values(migrated.value) as TLRecord[]
  const keep = new Set(incoming.map((r) => r.id))
  // Both land in the same frame, hence in one Yjs transaction; wrap the call in editor.run() to
  // make them one undo step as well.
  store.remove(exportBoard(store).records.filter((r) => !keep.has(r.id)).map((r) => r.id))
  store.put(incoming)
}

function isBoardFile(value: unknown): value is BoardFile {
  const file = value as Partial<BoardFile> | null
  return (
    typeof file === 'object' &&
    file !== null &&
    file.format === 'scrawl-board' &&
    file.formatVersion === 1 &&
    typeof file.schema === 'object' &&
    Array.isArray(file.records)
  )
}
