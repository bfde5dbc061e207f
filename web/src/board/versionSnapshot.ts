import type { TLStore, TLStoreSnapshot } from '@tldraw/tlschema'
import * as Y from 'yjs'
import { bindStoreToDoc } from './binding.ts'

/** A saved version, read into tldraw's form. */
export type VersionSnapshot =
  | { kind: 'ok'; snapshot: TLStoreSnapshot; shapeCount: number }
  | { kind: 'unreadable'; reason: string }

/**
 * Reads a version's Yjs state (`GET /api/rooms/:room/versions/:id`) into a tldraw store snapshot,
 * through a scratch Y.Doc and the same binding (and migrations) the live board uses. Nothing is
 * seeded and nothing is written anywhere but the scratch doc.
 */
export function versionSnapshot(update: Uint8Array, createStore: () => TLStore): VersionSnapshot {
  const doc = new Y.Doc()
  const store = createStore()
  try {
    Y.applyUpdate(doc, update)
    let invalid = 0
    const binding = bindStoreToDoc({ store, doc, seed: false, onInvalidRecord: () => invalid++, requestFrame: () => {} })
    const state = binding.state.get()
    binding.dispose()
    if (state.kind !== 'ready') return { kind: 'unreadable', reason: state.reason }
    const snapshot = store.getStoreSnapshot('document')
    const shapeCount = store.allRecords().filter((r) => r.typeName === 'shape').length
    return { kind: 'ok', snapshot, shapeCount }
  } catch (error) {
    return { kind: 'unreadable', reason: `This version cannot be read (${(error as Error).message ?? error})` }
  } finally {
    doc.destroy()
  }
}
