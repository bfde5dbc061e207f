/** Worker-thread entry: merges stored updates off the main thread (see mergeInBackground in merge.ts). */
import { parentPort } from 'node:worker_threads';
import { mergeStoredUpdates } from './merge.ts';

parentPort!.on('message', ({ id, updates }: { id: number; updates: Uint8Array[] }) => {
  try {
    const result = mergeStoredUpdates(updates);
    parentPort!.postMessage({ id, result }, [result.snapshot.buffer as ArrayBuffer]);
  } catch (error) {
    parentPort!.postMessage({ id, error: (error as Error).message });
  }
});
