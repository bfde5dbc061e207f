import { react, type Signal } from '@tldraw/state'
import { InstancePresenceRecordType, type TLInstancePresence, type TLStore } from '@tldraw/tlschema'

/**
 * The part of y-protocols' Awareness the presence sync needs; HocuspocusProvider's `awareness`
 * (and y-websocket's) fits it.
 */
export interface AwarenessLike {
  clientID: number
  getStates(): Map<number, Record<string, unknown>>
  setLocalStateField(field: string, value: unknown): void
  on(event: 'change', listener: (change: AwarenessChange, origin: unknown) => void): void
  off(event: 'change', listener: (change: AwarenessChange, origin: unknown) => void): void
}

/** Which awareness clients changed. */
export interface AwarenessChange {
  added: number[]
  updated: number[]
  removed: number[]
}

/** Options of {@link syncPresence}. */
export interface SyncPresenceOptions {
  store: TLStore
  awareness: AwarenessLike
  /** This user's presence record, e.g. `createPresenceStateDerivation($user)(store)`; null hides us. */
  localPresence: Signal<TLInstancePresence | null>
  /**
   * Least time between two local presence broadcasts. A cursor moving at 120 Hz would otherwise
   * send 120 messages a second to everyone; 50 ms (20 Hz) still looks live. Default 50.
   */
  throttleMs?: number
}

/** Field of the awareness state holding the tldraw presence record. */
export const PRESENCE_FIELD = 'presence'

/** The store id of the presence record shown for an awareness client. */
export function presenceIdFor(clientId: number): TLInstancePresence['id'] {
  return InstancePresenceRecordType.createId(String(clientId))
}

/**
 * Mirrors presence both ways: our tldraw presence (cursor, selection, camera, name, colour) goes
 * into our awareness state, throttled; everyone else's awareness states become tldraw
 * instance_presence records, merged as remote changes so they are never undoable. A peer whose
 * awareness is removed (tab closed, server saw the socket drop) loses its record at once.
 * Returns a function that stops it and removes the peers' records.
 */
export function syncPresence({ store, awareness, localPresence, throttleMs = 50 }: SyncPresenceOptions): () => void {
  let lastSentAt = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  const send = () => {
    timer = undefined
    lastSentAt = Date.now()
    awareness.setLocalStateField(PRESENCE_FIELD, localPresence.get())
  }
  const stopReacting = react('scrawl.presence.local', () => {
    localPresence.get()
    if (timer !== undefined) return
    // Always on a timer, never inline: awareness listeners (ours included) write to stores, which
    // must not happen while tldraw's reactive system is running this effect.
    timer = setTimeout(send, Math.max(0, lastSentAt + throttleMs - Date.now()))
  })

  const onChange = ({ added, updated, removed }: AwarenessChange) => {
    const puts: TLInstancePresence[] = []
    const removals: TLInstancePresence['id'][] = []
    const states = awareness.getStates()
    for (const clientId of [...added, ...updated, ...removed]) {
      if (clientId === awareness.clientID) continue
      const id = presenceIdFor(clientId)
      const presence = states.get(clientId)?.[PRESENCE_FIELD]
      if (isPresence(presence)) {
        try {
          puts.push(store.schema.validateRecord(store, { ...presence, id }, 'updateRecord', store.get(id) ?? null) as TLInstancePresence)
          continue
        } catch {
          // A peer on another tldraw version may send a presence we cannot show; treat it as absent.
        }
      }
      if (store.has(id)) removals.push(id)
    }
    if (puts.length || removals.length) {
      store.mergeRemoteChanges(() => {
        if (puts.length) store.put(puts)
        if (removals.length) store.remove(removals)
      })
    }
  }
  awareness.on('change', onChange)
  onChange({ added: [...awareness.getStates().keys()], updated: [], removed: [] })

  return () => {
    stopReacting()
    if (timer !== undefined) clearTimeout(timer)
    awareness.off('change', onChange)
    const peers = store.query.ids('instance_presence').get()
    if (peers.size) store.mergeRemoteChanges(() => store.remove([...peers]))
  }
}

function isPresence(value: unknown): value is TLInstancePresence {
  return typeof value === 'object' && value !== null && (value as { typeName?: unknown }).typeName === 'instance_presence'
}
