/**
 * Anchor: plain @hocuspocus/server, as a team would start it from the README.
 *
 * Env: HOST, PORT (required; `port` goes in the configuration because `listen(0)` falls back to 80).
 * STORE_DIR (optional): adds the textbook persistence, a full-snapshot LevelDB store in onStoreDocument (the whole
 * document re-encoded on every debounced store, read back in onLoadDocument). That is the "store on" anchor the
 * issue compares appends against. Without STORE_DIR there are no extensions at all.
 */
import { Server, type Extension } from '@hocuspocus/server';
import { Level } from 'level';
import * as Y from 'yjs';

const port = Number(process.env.PORT);
const address = process.env.HOST ?? '127.0.0.1';
if (!Number.isInteger(port) || port <= 0) throw new Error('PORT must be a positive integer');

const extensions: Extension[] = [];
let db: Level<string, Uint8Array> | undefined;
if (process.env.STORE_DIR) {
  const store = new Level<string, Uint8Array>(process.env.STORE_DIR, { valueEncoding: 'view' });
  await store.open();
  db = store;
  extensions.push({
    async onLoadDocument({ document, documentName }) {
      const snapshot = await store.get(documentName);
      if (snapshot !== undefined) Y.applyUpdate(document, snapshot);
    },
    async onStoreDocument({ document, documentName }) {
      await store.put(documentName, Y.encodeStateAsUpdate(document));
    },
    async onDestroy() {
      await store.close();
    },
  });
}

const server = new Server({ port, address, quiet: true, extensions });
await server.listen();
console.log(`hocuspocus anchor listening on ${address}:${port}${db ? ` with LevelDB in ${process.env.STORE_DIR}` : ''}`);
