import type { ExcalidrawScene } from '../board/boardFiles.ts'

/**
 * Excalidraw scenes waiting for their new board. tldraw converts a scene only in an editor, so the boards page makes an
 * empty board, keeps the scene here under the board's id and opens the board with `?import=excalidraw`; the board puts
 * the scene once it is synced (PendingImport.tsx). IndexedDB rather than sessionStorage: a scene with images easily
 * passes sessionStorage's few megabytes. Taking reads and deletes in one transaction, so however many tabs open the
 * board, the scene is put once, and only by this browser, the one the file was dropped on.
 */

const DATABASE = 'scrawl-pending-imports'
const STORE = 'scenes'

/** The query flag a board is opened with when a scene waits for it. */
export const IMPORT_FLAG = 'import'

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1)
    request.onupgradeneeded = () => request.result.createObjectStore(STORE)
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

async function run<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open()
  try {
    return await new Promise<T>((resolve, reject) => {
      const transaction = db.transaction(STORE, mode)
      const request = work(transaction.objectStore(STORE))
      transaction.oncomplete = () => resolve(request.result)
      transaction.onerror = () => reject(transaction.error)
      transaction.onabort = () => reject(transaction.error)
    })
  } finally {
    db.close()
  }
}

/** Keeps `scene` for the board `room` until the board takes it. */
export async function stashImport(room: string, scene: ExcalidrawScene): Promise<void> {
  await run('readwrite', (store) => store.put(scene, room))
}

/** The scene waiting for `room`, removed in the same transaction; null when there is none (or it was taken). */
export async function takeImport(room: string): Promise<ExcalidrawScene | null> {
  const db = await open()
  try {
    return await new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, 'readwrite')
      const store = transaction.objectStore(STORE)
      let scene: ExcalidrawScene | null = null
      const read = store.get(room)
      read.onsuccess = () => {
        scene = (read.result as ExcalidrawScene | undefined) ?? null
        if (scene) store.delete(room)
      }
      transaction.oncomplete = () => resolve(scene)
      transaction.onerror = () => reject(transaction.error)
      transaction.onabort = () => reject(transaction.error)
    })
  } finally {
    db.close()
  }
}
