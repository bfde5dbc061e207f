import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import * as Y from 'yjs';
import { Document } from '@hocuspocus/server';
import { PATCHED_HOCUSPOCUS_VERSION, seedFullState, syncStep2For } from '../src/sync/hocuspocus-patches.ts';
import * as decoding from 'lib0/decoding';
import { hocuspocusClient, startServer, synced, waitFor, yjsClient, type TestServer } from './harness.ts';

// The upstream sources that src/sync/hocuspocus-patches.ts (MessageReceiver.apply, Document.handleUpdate),
// src/sync/direct-messages.ts (ClientConnection.documentConnections, Connection.messageQueue, the transaction origin
// and acknowledgement of an update) and src/sync/update-relay.ts (Document.connections and callbacks.onUpdate, what
// Hocuspocus's onUpdate callback does: lastChangeTime, onChange, storeDocumentHooks) were written against. When
// @hocuspocus/server changes, this fails on purpose: re-read those, re-check the three modules, then update the hashes.
const UPSTREAM_SOURCES_SHA256: Record<string, string> = {
  'src/MessageReceiver.ts': 'cdb2ebb84096ec5f1ac16b86b765aa7c1c32cdc96a886e75475d43e0e507a5b9',
  'src/Connection.ts': 'f31b4e783644ffa0456c55580d82ef148f153286c1be95218069fbc890783a9d',
  'src/ClientConnection.ts': 'e4e0358f760cd3e76bd7ce4815b64c079af361241e864ca1bd1bd4c42397f277',
  'src/Document.ts': '75d8074753020d17e683b2c112383f1b7c67c258d7fa1ab3741bf812fc108fe3',
  'src/Hocuspocus.ts': '67514e78bee02d4574545dbe5b3d7774d491c800d7d40e59e91df4ffd155ec6f',
};

test('the patched Hocuspocus is the version the patches and the direct path were written against', () => {
  // The package exports no ./package.json: find its folder from its entry point (dist/ sits beside src/).
  const packageDir = dirname(dirname(createRequire(import.meta.url).resolve('@hocuspocus/server')));
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  assert.equal(pkg.version, PATCHED_HOCUSPOCUS_VERSION);
  for (const [path, expected] of Object.entries(UPSTREAM_SOURCES_SHA256)) {
    const source = readFileSync(join(packageDir, path));
    assert.equal(createHash('sha256').update(source).digest('hex'), expected, `${path} changed upstream`);
  }
});

let srv: TestServer;
before(async () => {
  srv = await startServer();
});
after(() => srv.stop());

test('20 concurrent joiners on both endpoints get the full state, and a newcomer after a change gets the change', async () => {
  const writer = yjsClient(srv.wsUrl, 'storm');
  await synced(writer);
  const big = writer.doc.getMap('big');
  writer.doc.transact(() => {
    for (let i = 0; i < 2_000; i++) big.set(`k${i}`, 'x'.repeat(100));
  });
  await waitFor(() => srv.server.hocuspocus.documents.get('storm')?.getMap('big').size === 2_000);

  const joiners = Array.from({ length: 20 }, (_, i) => (i % 2 ? hocuspocusClient(srv.wsUrl, 'storm') : yjsClient(srv.wsUrl, 'storm')));
  try {
    await Promise.all(joiners.map((j) => synced(j, 10_000)));
    for (const j of joiners) {
      const doc = 'document' in j ? j.document : j.doc;
      assert.equal(doc.getMap('big').size, 2_000);
    }
    // After a change a newcomer gets the new state, not the cached old one.
    big.set('late', 'change');
    await waitFor(() => srv.server.hocuspocus.documents.get('storm')?.getMap('big').get('late') === 'change');
    const newcomer = hocuspocusClient(srv.wsUrl, 'storm');
    await synced(newcomer);
    assert.equal(newcomer.document.getMap('big').get('late'), 'change');
    newcomer.destroy();
  } finally {
    joiners.forEach((j) => j.destroy());
    writer.destroy();
  }
});

test('the cached answer is shared per state vector and dropped on the next change', () => {
  const document = new Document('cache-unit');
  document.getMap('m').set('a', 1);
  const empty = Y.encodeStateVector(new Y.Doc());
  const first = syncStep2For(document, 'cache-unit', empty);
  assert.equal(syncStep2For(document, 'cache-unit', empty), first, 'same state vector, same buffer');
  assert.notEqual(syncStep2For(document, 'other-address', empty), first);
  document.getMap('m').set('b', 2);
  const after = syncStep2For(document, 'cache-unit', empty);
  assert.notEqual(after, first);
  assert.ok(after.byteLength > first.byteLength);
  document.destroy();
});

test('a room loaded from one snapshot answers new clients with the stored bytes until its next change', () => {
  const source = new Y.Doc();
  source.getMap('m').set('stored', true);
  const snapshot = Y.encodeStateAsUpdate(source);
  const document = new Document('seeded');
  Y.applyUpdate(document, snapshot);
  seedFullState(document, snapshot);
  const payloadOf = (frame: Uint8Array) => {
    const decoder = decoding.createDecoder(frame);
    decoding.readVarString(decoder);
    decoding.readVarUint(decoder);
    decoding.readVarUint(decoder);
    return decoding.readVarUint8Array(decoder);
  };
  const empty = Y.encodeStateVector(new Y.Doc());
  assert.deepEqual(payloadOf(syncStep2For(document, 'seeded', empty)), snapshot, 'served verbatim');
  document.getMap('m').set('changed', true);
  const after = new Y.Doc();
  Y.applyUpdate(after, payloadOf(syncStep2For(document, 'seeded', empty)));
  assert.deepEqual(after.getMap('m').toJSON(), { stored: true, changed: true }, 'the seed is forgotten at the next change');
  document.destroy();
});
