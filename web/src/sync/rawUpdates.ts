import { MessageType } from '@hocuspocus/provider'
import * as decoding from 'lib0/decoding'
import * as syncProtocol from 'y-protocols/sync'
import type * as Y from 'yjs'

/**
 * Hands a Y.Doc's `update` listeners the bytes of a large remote update as they arrived, instead
 * of letting Yjs encode the same update again for them.
 *
 * After every transaction Yjs encodes what it changed for its `update` listeners whenever there
 * are any, even when the transaction applied an update received from elsewhere. Here the
 * listeners are y-indexeddb (the offline copy), the Hocuspocus provider (which ignores its own
 * remote updates) and the thumbnailer (which only notes a change). So opening a board paid for
 * its whole state twice: decoded once, then encoded again (on a 10,000-shape board, 9 MB and
 * ~0.6-1 s of the open on a busy 2-core machine, plus the garbage of that copy).
 *
 * {@link RawUpdateForwarding.noteIncoming} is told the update a message carries before it is
 * applied; when the transaction of `origin` that applies it is cleaned up, the listeners are taken
 * off the document (Yjs then encodes nothing), called with the received bytes, and put back before
 * any other transaction's listeners run (at the next `beforeObserverCalls` or at
 * `afterAllTransactions`, whichever Yjs emits first), so no local change goes unseen. A listener
 * gets what the sender encoded, a superset of what Yjs would have given it when part of the update
 * was already known or must wait for a missing one: y-indexeddb applies updates idempotently.
 *
 * Yjs has no public way to list or pause listeners; this uses lib0's Observable `_observers` map
 * (lib0 0.2.x) and does nothing at all if the document has no such map.
 */

/** What {@link forwardRawUpdates} returns. */
export interface RawUpdateForwarding {
  /**
   * The update about to be applied by a transaction of the origin given (ignored when small), or
   * null once it has been (so that a message that failed to apply leaves nothing behind).
   */
  noteIncoming(update: Uint8Array | null): void
  /** Updates forwarded as received so far (tests). */
  readonly forwarded: number
  dispose(): void
}

type Listener = (...args: unknown[]) => void

/** Below this, encoding an update again costs too little to be worth the detour. */
export const RAW_UPDATE_MIN_BYTES = 64 * 1024

/** Whether `transaction` changed the document (Yjs emits `update` only then). */
function changedAnything(transaction: Y.Transaction): boolean {
  if (transaction.deleteSet.clients.size > 0) return true
  for (const [client, clock] of transaction.afterState) {
    if (transaction.beforeState.get(client) !== clock) return true
  }
  return false
}

/** Sets up the forwarding on `doc` for transactions of `origin` (e.g. the sync provider). */
export function forwardRawUpdates(doc: Y.Doc, origin: unknown, minBytes = RAW_UPDATE_MIN_BYTES): RawUpdateForwarding {
  const observers = (doc as unknown as { _observers?: unknown })._observers
  let incoming: Uint8Array | null = null
  let detached: Set<Listener> | null = null
  let forwarded = 0

  const restore = () => {
    if (!detached || !(observers instanceof Map)) return
    // Listeners added meanwhile (by a listener) join the ones taken off.
    const added = observers.get('update') as Set<Listener> | undefined
    if (added) for (const listener of added) detached.add(listener)
    observers.set('update', detached)
    detached = null
  }

  const onCleanup = (transaction: Y.Transaction) => {
    const update = incoming
    if (!update || transaction.origin !== origin) return
    incoming = null
    if (!(observers instanceof Map)) return
    const listeners = observers.get('update') as Set<Listener> | undefined
    if (!listeners || listeners.size === 0) return
    observers.delete('update')
    detached = listeners
    if (!changedAnything(transaction)) return
    forwarded++
    for (const listener of [...listeners]) listener(update, transaction.origin, doc, transaction)
  }

  if (observers instanceof Map) {
    doc.on('afterTransactionCleanup', onCleanup)
    doc.on('beforeObserverCalls', restore)
    doc.on('afterAllTransactions', restore)
  }

  return {
    noteIncoming(update) {
      incoming = update && update.byteLength >= minBytes ? update : null
    },
    get forwarded() {
      return forwarded
    },
    dispose() {
      restore()
      doc.off('afterTransactionCleanup', onCleanup)
      doc.off('beforeObserverCalls', restore)
      doc.off('afterAllTransactions', restore)
    },
  }
}

/**
 * The Yjs update inside a Hocuspocus message (document name, message type Sync, sync step 2 or
 * update, the update), as a view of `data` without copying; null for any other message.
 */
export function syncUpdateOf(data: Uint8Array): Uint8Array | null {
  const decoder = decoding.createDecoder(data)
  try {
    decoding.readVarUint8Array(decoder) // the document's name, not needed: one document per provider
    if (decoding.readVarUint(decoder) !== MessageType.Sync) return null
    const step = decoding.readVarUint(decoder)
    if (step !== syncProtocol.messageYjsSyncStep2 && step !== syncProtocol.messageYjsUpdate) return null
    const update = decoding.readVarUint8Array(decoder)
    return decoder.pos <= data.byteLength ? update : null
  } catch {
    return null // truncated
  }
}
