import { useEffect, useState } from 'react'
import { createTLStore, defaultBindingUtils, defaultShapeUtils, type TLStore } from 'tldraw'
import { createRoomAssetStore } from '../board/assetStore.ts'
import { bindStoreToDoc, type StoreDocBinding } from '../board/binding.ts'
import { deferTextMeasurement, endTextMeasurementDeferral, installBatchedTextMeasurement } from './batchedTextMeasure.ts'
import { connectRoom, defaultSyncUrl, syncUrlFor, type RoomConnection } from '../sync/connection.ts'

installBatchedTextMeasurement()

/** A room's board once it can be shown. */
export interface RoomBoard {
  room: string
  store: TLStore
  binding: StoreDocBinding
  connection: RoomConnection
}

/**
 * Opens a room for as long as the component lives: connects, waits until the board is known
 * (server, local cache, or a timeout when neither answers), then binds a fresh tldraw store to it.
 * Returns null while loading. `serverUrl` is the Scrawl server's origin ('' = this page's).
 */
export function useRoomBoard(room: string, token: string | null, serverUrl = ''): RoomBoard | null {
  const [board, setBoard] = useState<RoomBoard | null>(null)
  useEffect(() => {
    const connection = connectRoom({ room, token, url: serverUrl ? syncUrlFor(serverUrl) : defaultSyncUrl() })
    let binding: StoreDocBinding | null = null
    let closed = false
    void connection.loaded.then(() => {
      if (closed) return
      const store = createTLStore({
        shapeUtils: defaultShapeUtils,
        bindingUtils: defaultBindingUtils,
        assets: createRoomAssetStore({ room, token, baseUrl: serverUrl.replace(/\/+$/, '') }),
      })
      binding = bindStoreToDoc({ store, doc: connection.doc, onInvalidRecord: (id, error) => console.warn(`Skipped invalid record ${id}`, error) })
      // The editor measures every label as it mounts; batch that (see batchedTextMeasure.ts).
      deferTextMeasurement()
      setBoard({ room, store, binding, connection })
    })
    return () => {
      closed = true
      endTextMeasurementDeferral()
      binding?.dispose()
      connection.destroy()
      setBoard(null)
    }
  }, [room, token, serverUrl])
  return board
}
