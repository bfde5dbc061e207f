import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { Writable } from 'node:stream';

/** How much a backup writes between two flushes to disk. */
export const SYNC_EVERY_BYTES = 32 * 1024 * 1024;

/**
 * A new file (`wx`: never an existing one) as a stream that flushes its data to disk every {@link SYNC_EVERY_BYTES} and
 * once more, whole, before it finishes. One fsync of a whole archive at the end made the kernel write ~1 GB at once,
 * and the store's own small synced writes (a server's acknowledgements) waited behind it for seconds
 * (docs/benchmarks.md, "Backups"); flushing as it goes keeps each wait short.
 */
export async function openSyncedFile(path: string, syncEveryBytes = SYNC_EVERY_BYTES): Promise<Writable> {
  const handle: FileHandle = await open(path, 'wx');
  let sinceSync = 0;
  const afterWrite = async (bytes: number) => {
    sinceSync += bytes;
    if (sinceSync < syncEveryBytes) return;
    sinceSync = 0;
    await handle.datasync();
  };
  return new Writable({
    highWaterMark: 1024 * 1024,
    writev(chunks, callback) {
      const buffers = chunks.map(({ chunk }) => chunk as Buffer);
      handle
        .writev(buffers)
        .then(({ bytesWritten }) => afterWrite(bytesWritten))
        .then(() => callback(), callback);
    },
    final(callback) {
      handle.sync().then(() => callback(), callback);
    },
    destroy(error, callback) {
      handle.close().then(() => callback(error), () => callback(error));
    },
  });
}
