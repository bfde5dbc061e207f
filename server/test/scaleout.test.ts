/**
 * Scale-out through the real parts: server instances on one PostgreSQL store and one Redis relay, clients of both
 * protocols. Needs TEST_DATABASE_URL and TEST_REDIS_URL (scripts/services.sh sets them); each run uses its own schema
 * and channel prefix, so runs never see each other.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { HocuspocusProvider } from '@hocuspocus/provider';
import { Redis } from 'ioredis';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { PostgresStore } from '../src/persistence/postgres-store.ts';
import { canonicalJson, fingerprint, hocuspocusClient, synced, waitFor, yjsClient } from './harness.ts';
import { startRelayedServers, withScaleoutServices } from './scaleout-services.ts';


withScaleoutServices('scale-out', 'so', (services) => {
  const { dbUrl, redisUrl: rUrl, run, schema: freshSchema, cleanups } = services;

  /** Reads what the store holds for `room` into a fresh doc. */
  const storedDoc = async (store: PostgresStore, room: string) => {
    const doc = new Y.Doc();
    for (const update of await store.load(room)) Y.applyUpdate(doc, update);
    return doc;
  };

  test('scale-out: updates and awareness (with removals) cross instances once, for both protocols, and are stored once', async () => {
    const schema = freshSchema('relay');
    const prefix = `${run}-relay`;
    const store = new PostgresStore({ connectionString: dbUrl, schema });
    await store.open();
    cleanups.push(() => store.close());
    // Everything published under this run's prefix, to count what one change costs.
    const monitor = new Redis(rUrl);
    cleanups.push(() => monitor.quit());
    const published: string[] = [];
    await monitor.psubscribe(`${prefix}:*`);
    monitor.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer) => published.push(channel.toString()));

    const { servers } = await startRelayedServers(services, 3, prefix, schema);
    const a = yjsClient(servers[0].wsUrl, 'relay');
    const b = hocuspocusClient(servers[1].wsUrl, 'relay');
    const c = yjsClient(servers[2].wsUrl, 'relay');
    cleanups.push(() => [a, b, c].forEach((p) => p.destroy()));
    await Promise.all([synced(a), synced(b), synced(c)]);
    await new Promise((r) => setTimeout(r, 200));

    // One edit on a y-websocket client of instance 0 reaches a Hocuspocus client of instance 1 and a y-websocket
    // client of instance 2, as one relay message, stored once (not again by the instances that received it).
    published.length = 0;
    a.doc.getMap('m').set('from-a', 1);
    await waitFor(() => b.document.getMap('m').get('from-a') === 1 && c.doc.getMap('m').get('from-a') === 1);
    b.document.getMap('m').set('from-b', 2);
    await waitFor(() => a.doc.getMap('m').get('from-b') === 2 && c.doc.getMap('m').get('from-b') === 2);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(published, [`${prefix}:room:relay`, `${prefix}:room:relay`]);
    assert.equal((await store.stats('relay')).logEntries, 2);
    assert.deepEqual((await storedDoc(store, 'relay')).getMap('m').toJSON(), { 'from-a': 1, 'from-b': 2 });

    // Awareness: set on one protocol, seen on the other instance's clients; removal crosses at once, even though the
    // leaving client is the last one of its instance (no waiting for the 30 s awareness timeout).
    a.awareness.setLocalStateField('user', 'a');
    b.awareness!.setLocalStateField('user', 'b');
    await waitFor(() => b.awareness!.getStates().get(a.doc.clientID)?.user === 'a');
    await waitFor(() => c.awareness.getStates().get(b.document.clientID)?.user === 'b');
    await waitFor(() => a.awareness.getStates().get(b.document.clientID)?.user === 'b');
    const aId = a.doc.clientID;
    a.destroy();
    await waitFor(() => !b.awareness!.getStates().has(aId) && !c.awareness.getStates().has(aId), 2_000, () => 'removal of a did not cross');
    const bId = b.document.clientID;
    b.destroy();
    await waitFor(() => !c.awareness.getStates().has(bId), 2_000, () => 'removal of b did not cross');
  });

  test('scale-out: an instance that lost its Redis connection catches up on what it missed once reconnected', async () => {
    const schema = freshSchema('resync');
    const prefix = `${run}-resync`;
    const { servers, relays } = await startRelayedServers(services, 2, prefix, schema);
    const a = hocuspocusClient(servers[0].wsUrl, 'resync');
    const b = yjsClient(servers[1].wsUrl, 'resync');
    cleanups.push(() => [a, b].forEach((p) => p.destroy()));
    await Promise.all([synced(a), synced(b)]);
    await new Promise((r) => setTimeout(r, 100));

    // Cut instance 1's subscriber connection (as a Redis restart or a network blip would), then edit on instance 0
    // at once: ioredis waits at least 50 ms before reconnecting, so the relayed update is published to nobody.
    const admin = new Redis(rUrl);
    cleanups.push(() => admin.quit());
    const killed = await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub', 'SKIPME', 'yes', 'ID', ...(await connectionIds(admin, `scrawl-sub-${relays[1].instanceId}`)));
    assert.equal(killed, 1);
    a.document.getMap('m').set('while-cut-off', true);
    await waitFor(() => b.doc.getMap('m').get('while-cut-off') === true, 5_000, () => 'instance 1 never caught up');
    assert.ok(relays[1].getStats().resyncs >= 1);
  });

  test('scale-out: 3 instances, both protocols, random edits, one instance killed with SIGKILL: nothing acknowledged is lost and all converge', async (t) => {
    const seed = Number(process.env.SCALEOUT_SEED ?? Math.floor(Math.random() * 2 ** 31));
    t.diagnostic(`seed ${seed} (rerun: SCALEOUT_SEED=${seed}; network timing still varies)`);
    console.log(`scale-out seed: ${seed}`);
    const random = mulberry32(seed);
    const schema = freshSchema('kill');
    const prefix = `${run}-kill`;

    // Every instance that started is stopped after the test, even when another failed to start (else the file hangs).
    const starts = await Promise.allSettled([0, 1, 2].map(() => startInstance({ dbUrl, schema, redisUrl: rUrl, prefix })));
    const started = starts.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    cleanups.push(() => Promise.all(started.map((i) => i.stop())));
    const failed = starts.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const instances = started;
    const balancer = await startBalancer(instances.map((i) => i.port));
    cleanups.push(() => balancer.close());

    // 12 clients: 2 rooms x 3 instances x 2 protocols, each pinned to an instance through the balancer (which fails
    // over to the next live one, as a load balancer with health checks would).
    const rooms = ['board-a', 'board-b'];
    const clients: TestClient[] = [];
    for (let i = 0; i < 12; i++) {
      const home = i % 3;
      const room = rooms[Math.floor(i / 3) % 2];
      const protocol = Math.floor(i / 6) === 0 ? (i % 2 === 0 ? 'yjs' : 'sync') : i % 2 === 0 ? 'sync' : 'yjs';
      clients.push(makeClient(`c${i}`, protocol, room, home, balancer.urlFor(home)));
    }
    cleanups.push(() => clients.forEach((c) => c.destroy()));
    for (const room of rooms) {
      for (const protocol of ['yjs', 'sync']) {
        const homes = new Set(clients.filter((c) => c.room === room && c.protocol === protocol).map((c) => c.home));
        assert.ok(homes.size >= 2, `${room}/${protocol} clients spread over instances`);
      }
    }
    await Promise.all(clients.map((c) => c.whenSynced(10_000)));

    // Any client, connected or not: a cut-off client edits offline and sends its changes when it reconnects.
    const edit = () => clients[Math.floor(random() * clients.length)].randomEdit(random);
    // Phase 1: everyone connected.
    for (let i = 0; i < 300; i++) {
      edit();
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 200));
    // Every /sync client of instance 0 holds an acknowledged update before the kill, so the store check below always
    // has something to look for (random edits alone left none acknowledged in about one run out of 40).
    const syncVictims = clients.filter((c) => c.home === 0 && c.protocol === 'sync');
    for (const victim of syncVictims) if (victim.allMarks().length === 0) victim.randomEdit(random);
    await waitFor(
      () => syncVictims.every((c) => c.acknowledgedMarks().length > 0),
      10_000,
      () => `no acknowledgement for ${syncVictims.filter((c) => c.acknowledgedMarks().length === 0).map((c) => c.name)}`,
    );

    // Kill instance 0 mid-flight: edits keep coming from everyone, including its clients while they are cut off.
    const victims = clients.filter((c) => c.home === 0);
    for (let i = 0; i < 30; i++) edit();
    const ackedBeforeKill = victims.filter((c) => c.protocol === 'sync').flatMap((c) => c.acknowledgedMarks());
    balancer.markDown(0);
    instances[0].kill();
    await instances[0].exited;

    // Acknowledged means stored: check the store itself, before any client could resend anything.
    assert.ok(ackedBeforeKill.length > 0, 'the killed instance had acknowledged updates');
    const reader = new PostgresStore({ connectionString: dbUrl, schema });
    await reader.open();
    cleanups.push(() => reader.close());
    const storedMarks = new Set<string>();
    for (const room of rooms) for (const key of (await storedDoc(reader, room)).getMap('marks').keys()) storedMarks.add(key);
    const missing = ackedBeforeKill.filter((mark) => !storedMarks.has(mark));
    assert.deepEqual(missing, [], 'acknowledged updates missing from the store after SIGKILL');

    // Phase 2: edits while the victims reconnect through the balancer to another instance.
    for (let i = 0; i < 300; i++) {
      edit();
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 10));
    }
    await waitFor(() => victims.every((c) => c.connected() && c.isSynced()), 15_000, () => 'victims did not reconnect');
    assert.ok(victims.every((c) => balancer.backendOf(c.name) !== 0));

    // Convergence: every client of a room holds the same state, and the store holds it too, with every mark ever made.
    for (const room of rooms) {
      const members = clients.filter((c) => c.room === room);
      await waitFor(
        () => new Set(members.map((c) => canonicalJson(boardState(c.doc)))).size === 1,
        15_000,
        () =>
          `clients of ${room} did not converge:\n` +
          members
            .map((c) => {
              const sv = [...Y.decodeStateVector(Y.encodeStateVector(c.doc))].map(([id, clock]) => `${id % 1000}:${clock}`);
              return `${c.name} ${c.protocol} home ${c.home} now ${balancer.backendOf(c.name)} connected ${c.connected()} ${sv.sort().join(' ')}`;
            })
            .join('\n'),
      );
      const expected = boardState(members[0].doc);
      const allMarks = members.flatMap((c) => c.allMarks());
      assert.deepEqual(allMarks.filter((m) => !members[0].doc.getMap('marks').has(m)), []);
      // The store is appended to before an update is applied and relayed, so it has everything clients see.
      assert.deepEqual(boardState(await storedDoc(reader, room)), expected);
      // Presence: every client sees every member of its room, including those that moved instances. Each one moves
      // its "cursor" first: a reconnected y-protocols client ignores the others' states until their clocks advance
      // (client-side behaviour, the same with one server), and real cursors move all the time.
      for (const c of members) c.awareness().setLocalStateField('cursor', 'after-failover');
      await waitFor(
        () =>
          members.every((c) =>
            members.every((m) => {
              const state = c.awareness().getStates().get(m.doc.clientID);
              return state?.name === m.name && state?.cursor === 'after-failover';
            }),
          ),
        10_000,
        () =>
          `awareness of ${room} incomplete:\n` +
          members
            .map((c) => {
              const seen = members.filter((m) => c.awareness().getStates().get(m.doc.clientID)?.name === m.name).map((m) => m.name);
              return `${c.name} ${c.protocol} home ${c.home} now ${balancer.backendOf(c.name)} sees ${seen.join(' ')}`;
            })
            .join('\n'),
      );
    }
  });
});

/** Redis client ids of the connections named `name`. */
async function connectionIds(admin: Redis, name: string): Promise<string[]> {
  const list = (await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
  return list
    .split('\n')
    .filter((line) => line.includes(` name=${name} `))
    .map((line) => /^id=(\d+)/.exec(line)![1]);
}

/** A client of either protocol with its own doc; keeps the doc across reconnects. */
interface TestClient {
  name: string;
  protocol: 'yjs' | 'sync';
  room: string;
  home: number;
  doc: Y.Doc;
  connected(): boolean;
  isSynced(): boolean;
  whenSynced(timeoutMs: number): Promise<void>;
  awareness(): import('y-protocols/awareness').Awareness;
  randomEdit(random: () => number): void;
  /** Marks this client made whose updates the server acknowledged (Hocuspocus SyncStatus); y-websocket has no acks. */
  acknowledgedMarks(): string[];
  allMarks(): string[];
  destroy(): void;
}

function makeClient(name: string, protocol: 'yjs' | 'sync', room: string, home: number, wsUrl: string): TestClient {
  const doc = new Y.Doc();
  const marks: string[] = [];
  let acked = 0;
  let provider: HocuspocusProvider | WebsocketProvider;
  if (protocol === 'sync') {
    // The client name in the query lets the balancer report where each connection landed.
    const p = new HocuspocusProvider({ url: `${wsUrl}/sync?client=${name}`, name: room, document: doc, token: 'test' });
    // Every mark made before the count of unacknowledged updates drops to 0 is acknowledged.
    p.on('unsyncedChanges', ({ number }: { number: number }) => {
      if (number === 0) acked = marks.length;
    });
    provider = p;
  } else {
    provider = yjsClient(wsUrl, room, doc, { client: name });
  }
  const awareness = () => (provider instanceof HocuspocusProvider ? provider.awareness! : provider.awareness);
  awareness().setLocalStateField('name', name);
  return {
    name,
    protocol,
    room,
    home,
    doc,
    connected: () =>
      provider instanceof HocuspocusProvider
        ? provider.configuration.websocketProvider.status === 'connected' && provider.isSynced
        : provider.wsconnected,
    isSynced: () => (provider instanceof HocuspocusProvider ? provider.isSynced && !provider.hasUnsyncedChanges : provider.synced),
    whenSynced: (timeoutMs) => synced(provider, timeoutMs),
    awareness,
    randomEdit(random) {
      const mark = `${name}:${marks.length}`;
      marks.push(mark);
      doc.transact(() => {
        doc.getMap('marks').set(mark, marks.length);
        const items = doc.getArray<string>('items');
        const text = doc.getText('notes');
        const choice = random();
        if (choice < 0.4) items.insert(Math.floor(random() * (items.length + 1)), [mark]);
        else if (choice < 0.55 && items.length > 0) items.delete(Math.floor(random() * items.length), 1);
        else if (choice < 0.85) text.insert(Math.floor(random() * (text.length + 1)), String.fromCharCode(97 + Math.floor(random() * 26)));
        else if (text.length > 0) text.delete(Math.floor(random() * text.length), 1);
        else doc.getMap('shared').set('last', mark);
      });
    },
    acknowledgedMarks: () => marks.slice(0, acked),
    allMarks: () => [...marks],
    destroy: () => {
      provider.destroy();
      doc.destroy();
    },
  };
}

/** A Scrawl instance as a child process (server/test/scaleout-instance.ts). */
interface Instance {
  port: number;
  process: ChildProcess;
  exited: Promise<unknown>;
  kill(): void;
  stop(): Promise<unknown>;
}

const INSTANCE = resolve(import.meta.dirname, 'scaleout-instance.ts');

async function startInstance(env: { dbUrl: string; schema: string; redisUrl: string; prefix: string }): Promise<Instance> {
  const child = spawn(process.execPath, [INSTANCE], {
    env: {
      ...process.env,
      SCALEOUT_DATABASE_URL: env.dbUrl,
      SCALEOUT_SCHEMA: env.schema,
      SCALEOUT_REDIS_URL: env.redisUrl,
      SCALEOUT_PREFIX: env.prefix,
      // Small, so compaction runs on several instances at once during the test.
      SCALEOUT_COMPACT_AFTER: '40',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise((done) => child.once('exit', done));
  const port = await waitFor(
    () => {
      const match = /"event":"listening","port":(\d+)/.exec(output);
      return match ? Number(match[1]) : child.exitCode !== null ? Promise.reject(new Error(output)) : undefined;
    },
    15_000,
    () => `instance did not start:\n${output}`,
  ).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  let ended = false;
  void exited.then(() => (ended = true));
  return {
    port,
    process: child,
    exited,
    kill: () => child.kill('SIGKILL'),
    async stop() {
      if (ended) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 12_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * A TCP load balancer in small: one front port per instance, forwarding to that instance or, when it is marked down
 * or refuses, to the next live one. Tracks which backend each client's current connection reached, by the client
 * name in the WebSocket URL.
 */
async function startBalancer(backends: number[]) {
  const down = new Set<number>();
  const backendOfClient = new Map<string, number>();
  const sockets = new Set<Socket>();
  const fronts: { server: Server; port: number }[] = [];
  for (let home = 0; home < backends.length; home++) {
    const server = createServer((client) => {
      sockets.add(client);
      client.once('close', () => sockets.delete(client));
      client.pause();
      const tryBackend = (attempt: number) => {
        const index = (home + attempt) % backends.length;
        if (attempt >= backends.length) return client.destroy();
        if (down.has(index)) return tryBackend(attempt + 1);
        const upstream = createConnection({ host: '127.0.0.1', port: backends[index] });
        sockets.add(upstream);
        upstream.once('close', () => sockets.delete(upstream));
        upstream.once('error', () => {
          if (!upstream.readyState || upstream.connecting) {
            down.add(index);
            tryBackend(attempt + 1);
          } else client.destroy();
        });
        upstream.once('connect', () => {
          client.once('data', (head: Buffer) => {
            const name = /[?&]client=([^&\s]+)/.exec(head.toString('latin1'))?.[1];
            if (name) backendOfClient.set(name, index);
            upstream.write(head);
            client.pipe(upstream);
          });
          upstream.pipe(client);
          client.resume();
          client.once('close', () => upstream.destroy());
          upstream.once('close', () => client.destroy());
          client.on('error', () => upstream.destroy());
        });
      };
      tryBackend(0);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    fronts.push({ server, port: (server.address() as { port: number }).port });
  }
  return {
    urlFor: (home: number) => `ws://127.0.0.1:${fronts[home].port}`,
    markDown: (index: number) => down.add(index),
    backendOf: (name: string) => backendOfClient.get(name),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all(fronts.map(({ server }) => new Promise((done) => server.close(done))));
    },
  };
}

/** The state vector and typed content of a test board, for strict comparison (a fresh doc lists no root types). */
function boardState(doc: Y.Doc) {
  return {
    stateVector: fingerprint(doc).stateVector,
    content: canonicalJson({
      items: doc.getArray('items').toJSON(),
      marks: doc.getMap('marks').toJSON(),
      notes: doc.getText('notes').toString(),
      shared: doc.getMap('shared').toJSON(),
    }),
  };
}

/** A small seeded PRNG (mulberry32), so a failing run's edit sequence can be replayed from its printed seed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
