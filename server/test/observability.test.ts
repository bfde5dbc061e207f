import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { WebsocketProvider } from 'y-websocket';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { createScrawlServer } from '../src/index.ts';
import { MemoryStore } from '../src/persistence/memory-store.ts';
import { TokenVerifier } from '../src/sync/auth.ts';
import { hocuspocusClient, startServer, synced, tempDir, waitFor, yjsClient } from './harness.ts';
import { startExample } from '../../docs/examples/server-library.ts';

/** Parses Prometheus text exposition into `name{labels}` -> value, failing on any line that is not valid. */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    // Values are Go floats: digits, or NaN / +Inf / -Inf in any case (prom-client writes "Nan").
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.e+-]+|nan|\+inf|-inf)$/i.exec(line);
    assert.ok(match, `not Prometheus text: ${line}`);
    samples.set(match[1] + (match[2] ?? ''), Number(match[3]));
  }
  return samples;
}

test('/metrics is Prometheus text and its counters move with traffic', async () => {
  const srv = await startServer();
  const read = async () => parsePrometheus(await (await fetch(`${srv.httpUrl}/metrics`)).text());
  const before = await read();
  const a = hocuspocusClient(srv.wsUrl, 'metrics');
  const b = yjsClient(srv.wsUrl, 'metrics');
  try {
    await Promise.all([synced(a), synced(b)]);
    a.document.getMap('m').set('k', 'v');
    await waitFor(() => b.doc.getMap('m').get('k') === 'v' && a.unsyncedChanges === 0);
    const during = await read();
    assert.equal(during.get('scrawl_connections{endpoint="sync"}'), 1);
    assert.equal(during.get('scrawl_connections{endpoint="yjs"}'), 1);
    assert.equal(during.get('scrawl_rooms_loaded'), 1);
    assert.equal(during.get('scrawl_joins_waiting'), 0, 'nobody waits to join a quiet server');
    for (const name of ['scrawl_messages_received_total{endpoint="sync"}', 'scrawl_bytes_sent_total{endpoint="yjs"}']) {
      assert.ok((during.get(name) ?? 0) > (before.get(name) ?? 0), `${name} did not move`);
    }
    assert.ok((during.get('scrawl_store_append_seconds_count') ?? 0) >= 1);
    assert.ok(during.has('scrawl_process_resident_memory_bytes'));
  } finally {
    // Clients first: a provider that sees its server go away starts retry timers that outlive destroy().
    a.destroy();
    b.destroy();
    await srv.stop();
  }
});

test('the room inspector needs an admin token and shows sizes, clients and a readable document', async () => {
  const secret = 'inspector-secret-that-is-long-enough!!';
  const tokens = new TokenVerifier(secret);
  const srv = await startServer({ authSecret: secret });
  const rw = await tokens.mint({ room: 'inspect', mode: 'rw' });
  const admin = await tokens.mint({ room: '*', mode: 'rw' });
  const writer = yjsClient(srv.wsUrl, 'inspect', new Y.Doc(), { token: rw });
  try {
    await synced(writer);
    writer.doc.getMap('records').set('shape:1', 'a shape');
    await waitFor(() => srv.server.hocuspocus.documents.get('inspect')?.getMap('records').size === 1);
    const get = (token: string) => fetch(`${srv.httpUrl}/api/rooms/inspect`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await get(rw)).status, 403, 'a room token is not an admin token');
    const res = await get(admin);
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, any>;
    assert.equal(body.loaded, true);
    assert.equal(body.connections, 1);
    assert.ok(body.documentBytes > 0);
    assert.deepEqual(body.document, { records: { 'shape:1': 'a shape' } });
    assert.ok(body.store.logEntries >= 1);
  } finally {
    writer.destroy();
    await srv.stop();
  }
});

test('wss round trip with a self-signed certificate', async () => {
  const dir = tempDir('scrawl-tls-');
  try {
    const key = join(dir.path, 'key.pem');
    const cert = join(dir.path, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=localhost', '-days', '1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const server = createScrawlServer({ store: new MemoryStore(), tls: { cert: readFileSync(cert), key: readFileSync(key) } });
    const { port } = await server.listen(0, '127.0.0.1');
    const ca = readFileSync(cert);
    // Trust exactly this certificate, as a browser would after adding it.
    class TrustingWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { ca });
      }
    }
    const docs = [new Y.Doc(), new Y.Doc()];
    const providers = docs.map((doc) => new WebsocketProvider(`wss://127.0.0.1:${port}/yjs`, 'secure', doc, { WebSocketPolyfill: TrustingWebSocket as never, disableBc: true }));
    try {
      await Promise.all(providers.map((p) => synced(p)));
      docs[0].getMap('m').set('over', 'tls');
      await waitFor(() => docs[1].getMap('m').get('over') === 'tls');
    } finally {
      providers.forEach((p) => p.destroy());
      docs.forEach((d) => d.destroy());
      await server.stop();
    }
  } finally {
    dir.remove();
  }
});

test('the server as a library, mounted on a plain http.createServer beside the host app\'s own routes', async () => {
  const scrawl = createScrawlServer({ store: new MemoryStore() });
  await scrawl.start();
  const host = createServer((req, res) => {
    if (req.url === '/host') res.end('host app');
  });
  // Scrawl answers its own routes and WebSocket endpoints and leaves the host's paths to the host.
  scrawl.attach(host);
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
  const { port } = host.address() as { port: number };
  try {
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/host`)).text(), 'host app');
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    const a = yjsClient(`ws://127.0.0.1:${port}`, 'mounted');
    const b = hocuspocusClient(`ws://127.0.0.1:${port}`, 'mounted');
    await Promise.all([synced(a), synced(b)]);
    a.doc.getMap('m').set('mounted', true);
    await waitFor(() => b.document.getMap('m').get('mounted') === true);
    a.destroy();
    b.destroy();
  } finally {
    await scrawl.stop();
    host.closeAllConnections();
    await new Promise((resolve) => host.close(resolve));
  }
});

test('the library example in docs/examples runs: health, both endpoints, and a clean close', async () => {
  const dir = tempDir('scrawl-example-');
  const example = await startExample({ port: 0, dataDir: dir.path });
  try {
    assert.equal((await fetch(`${example.url}/healthz`)).status, 200);
    const wsUrl = example.url.replace('http', 'ws');
    const a = yjsClient(wsUrl, 'example');
    const b = hocuspocusClient(wsUrl, 'example');
    await Promise.all([synced(a), synced(b)]);
    a.doc.getMap('m').set('from', 'example');
    await waitFor(() => b.document.getMap('m').get('from') === 'example' && b.unsyncedChanges === 0);
    a.destroy();
    b.destroy();
  } finally {
    await example.close();
    dir.remove();
  }
});
