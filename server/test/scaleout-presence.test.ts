/**
 * Presence across instances when one goes away: the cursors (awareness states) of a killed instance's clients leave
 * the other instances' screens within seconds (relay heartbeats), not after the 30 s y-protocols awareness timeout;
 * a graceful stop removes them too; the relay's bookkeeping of whose client is whose leaves nothing behind. Real
 * instance processes (scaleout-instance.ts) on one PostgreSQL and one Redis, clients of both protocols. Needs
 * TEST_DATABASE_URL and TEST_REDIS_URL (source scripts/services.sh && ensure_redis && ensure_postgres); each run uses
 * its own schema and channel prefix.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';
import type { HocuspocusProvider } from '@hocuspocus/provider';
import { Redis } from 'ioredis';
import * as decoding from 'lib0/decoding';
import type { Awareness } from 'y-protocols/awareness';
import type { WebsocketProvider } from 'y-websocket';
import { hocuspocusClient, synced, waitFor, yjsClient } from './harness.ts';
import { startRelayedServers, withScaleoutServices } from './scaleout-services.ts';


/** Well under the 30 s awareness timeout; the relay's default heartbeat (1 s, dead after 3 silent beats) needs 1-3 s. */
const KILL_BOUND_MS = 5_000;
/** A graceful stop relays its clients' removals as they are disconnected, then says goodbye. */
const STOP_BOUND_MS = 2_000;

const INSTANCE = resolve(import.meta.dirname, 'scaleout-instance.ts');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

type Client = HocuspocusProvider | WebsocketProvider;
const awarenessOf = (client: Client): Awareness => client.awareness!;
const idOf = (client: Client): number => awarenessOf(client).clientID;
/** Whether `observer` shows `other`'s cursor. */
const sees = (observer: Client, other: Client) => awarenessOf(observer).getStates().get(idOf(other))?.cursor !== undefined;

withScaleoutServices('scale-out presence', 'sp', (services) => {
  const { dbUrl, redisUrl: rUrl, run, schema: freshSchema, cleanups } = services;

  /** A Scrawl instance as a child process (scaleout-instance.ts), on this run's schema and channel prefix. */
  const startInstance = async (prefix: string) => {
    const child = spawn(process.execPath, [INSTANCE], {
      env: { ...process.env, SCALEOUT_DATABASE_URL: dbUrl, SCALEOUT_SCHEMA: freshSchema(), SCALEOUT_REDIS_URL: rUrl, SCALEOUT_PREFIX: prefix },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    const exited = new Promise((done) => child.once('exit', done));
    const { port, instanceId } = await waitFor(
      () => {
        const match = /"event":"listening","port":(\d+),"instanceId":"([^"]+)"/.exec(output);
        if (match) return { port: Number(match[1]), instanceId: match[2] };
        return child.exitCode !== null ? Promise.reject(new Error(output)) : undefined;
      },
      15_000,
      () => `instance did not start:\n${output}`,
    );
    const stop = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    };
    cleanups.push(stop);
    return { wsUrl: `ws://127.0.0.1:${port}`, instanceId, pid: child.pid!, exited, stop };
  };

  /** A client of `room` on `wsUrl` showing a cursor, destroyed at the end of the run. */
  const cursorClient = async (protocol: 'yjs' | 'sync', wsUrl: string, room: string) => {
    const client = protocol === 'yjs' ? yjsClient(wsUrl, room) : hocuspocusClient(wsUrl, room);
    cleanups.push(() => client.destroy());
    await synced(client);
    awarenessOf(client).setLocalStateField('cursor', { x: 1, y: 2 });
    return client;
  };

  /**
   * Relay messages seen on Redis under `prefix`: every awareness message with the client ids it carries, and every
   * presence message (heartbeat 4, goodbye 5), each with the sending instance.
   */
  const watchRelay = async (prefix: string) => {
    const monitor = new Redis(rUrl);
    cleanups.push(() => monitor.quit());
    const awareness: { sender: string; clients: number[] }[] = [];
    const presence: { sender: string; kind: number }[] = [];
    const read = (data: Buffer) => {
      const decoder = decoding.createDecoder(data);
      const kind = decoding.readVarUint(decoder);
      const sender = decoding.readVarString(decoder);
      decoding.readVarString(decoder); // room
      const payload = decoding.readVarUint8Array(decoder);
      if (kind === 4 || kind === 5) presence.push({ sender, kind });
      if (kind !== 1) return;
      // y-protocols awareness update: a count, then per client its id, clock and JSON state.
      const update = decoding.createDecoder(payload);
      const clients: number[] = [];
      for (let n = decoding.readVarUint(update); n > 0; n--) {
        clients.push(decoding.readVarUint(update));
        decoding.readVarUint(update);
        decoding.readVarString(update);
      }
      awareness.push({ sender, clients });
    };
    monitor.on('pmessageBuffer', (_pattern: Buffer, _channel: Buffer, data: Buffer) => read(data));
    monitor.on('messageBuffer', (_channel: Buffer, data: Buffer) => read(data));
    await monitor.psubscribe(`${prefix}:room:*`);
    await monitor.subscribe(prefix);
    return { awareness, presence };
  };

  test(`scale-out presence: kill -9 of an instance removes its clients' cursors on the other instances within ${KILL_BOUND_MS / 1000} s, in every room, without re-publishing the removal`, async (t) => {
    const prefix = `${run}-kill`;
    const [a, b, c] = await Promise.all([startInstance(prefix), startInstance(prefix), startInstance(prefix)]);
    const relayed = await watchRelay(prefix);
    // Two rooms on the doomed instance A, watched from B; both protocols on each side.
    const a1 = await cursorClient('yjs', a.wsUrl, 'board-1');
    const a2 = await cursorClient('sync', a.wsUrl, 'board-2');
    const b1 = await cursorClient('sync', b.wsUrl, 'board-1');
    const b2 = await cursorClient('yjs', b.wsUrl, 'board-2');
    await waitFor(() => sees(b1, a1) && sees(b2, a2) && sees(a1, b1) && sees(a2, b2), 5_000, () => 'cursors did not cross A <-> B');
    // C loads board-1 after both: it learns a1's and b1's states from the state exchange with A and B, and must still
    // know whose is whose (each instance answers for its own clients) to drop a1's alone.
    const c1 = await cursorClient('yjs', c.wsUrl, 'board-1');
    await waitFor(() => sees(c1, a1) && sees(c1, b1) && sees(b1, c1), 5_000, () => 'cursors did not reach the late instance C');

    const killedIds = new Set([idOf(a1), idOf(a2)]);
    const publishedBefore = relayed.awareness.length;
    process.kill(a.pid, 'SIGKILL');
    const killedAt = performance.now();
    await a.exited;
    const gone = await waitFor(
      () => {
        const stillSeen = [sees(b1, a1) && 'b1 sees a1', sees(b2, a2) && 'b2 sees a2', sees(c1, a1) && 'c1 sees a1'].filter(Boolean);
        return stillSeen.length === 0 ? performance.now() - killedAt : undefined;
      },
      KILL_BOUND_MS,
      () => `cursors of the killed instance's clients still shown ${KILL_BOUND_MS} ms after kill -9 (awareness timeout is 30 s)`,
    );
    t.diagnostic(`cursors of the killed instance's clients removed ${gone.toFixed(0)} ms after kill -9`);
    console.log(`scale-out presence: removed ${gone.toFixed(0)} ms after kill -9 (bound ${KILL_BOUND_MS} ms)`);

    // The survivors keep each other: B's and C's clients were not taken for A's.
    await sleep(500);
    assert.ok(sees(c1, b1) && sees(b1, c1), 'a live instance lost its cursors with the dead one');
    // Each survivor removed A's clients by itself: neither published the removal again.
    const republished = relayed.awareness.slice(publishedBefore).filter((m) => m.clients.some((id) => killedIds.has(id)));
    assert.deepEqual(republished, [], "a survivor re-published the dead instance's removals");

    // a1 comes back through C (as a load balancer would send it) and moves its cursor once: every survivor shows that
    // first move. (Had the removal bumped a1's awareness clock, that move would carry the same clock and be ignored as
    // already seen, since a1 on C never learns of the removal.)
    const back = a1 as WebsocketProvider;
    back.serverUrl = `${c.wsUrl}/yjs`;
    await waitFor(() => back.wsconnected && back.synced, 10_000, () => 'a1 did not reconnect through C');
    awarenessOf(back).setLocalStateField('cursor', { x: 3, y: 4 });
    const movedSeen = (observer: Client) => awarenessOf(observer).getStates().get(idOf(back))?.cursor?.x === 3;
    await waitFor(() => movedSeen(b1) && movedSeen(c1), 2_000, () => `first move after reconnecting not shown: b1 ${movedSeen(b1)} c1 ${movedSeen(c1)}`);
  });

  test(`scale-out presence: a graceful stop removes its clients' cursors on the other instances within ${STOP_BOUND_MS / 1000} s and says goodbye`, async (t) => {
    const prefix = `${run}-stop`;
    const [a, b] = await Promise.all([startInstance(prefix), startInstance(prefix)]);
    const relayed = await watchRelay(prefix);
    // The stopped instance's client on y-websocket: a HocuspocusProvider destroyed within a second of losing its
    // server schedules a reconnect that outlives destroy() and keeps the test process alive.
    const a1 = await cursorClient('yjs', a.wsUrl, 'board');
    const b1 = await cursorClient('sync', b.wsUrl, 'board');
    await waitFor(() => sees(b1, a1) && sees(a1, b1), 5_000, () => 'cursors did not cross A <-> B');

    const stoppedAt = performance.now();
    const stopping = a.stop();
    const gone = await waitFor(() => (!sees(b1, a1) ? performance.now() - stoppedAt : undefined), STOP_BOUND_MS, () => 'cursor of the stopped instance stayed');
    t.diagnostic(`cursor of the stopped instance's client removed ${gone.toFixed(0)} ms after SIGTERM`);
    await stopping;
    await waitFor(() => relayed.presence.some((m) => m.sender === a.instanceId && m.kind === 5), 2_000, () => 'no goodbye from the stopped instance');
  });

  test('scale-out presence: the relay forgets whose client is whose when the client leaves or the room unloads', async () => {
    const prefix = `${run}-book`;
    const { servers, relays } = await startRelayedServers(services, 2, prefix, freshSchema());
    const a = await cursorClient('yjs', servers[0].wsUrl, 'book');
    const stay = await cursorClient('sync', servers[1].wsUrl, 'book');
    const leave = await cursorClient('yjs', servers[1].wsUrl, 'book');
    await waitFor(() => sees(a, stay) && sees(a, leave) && sees(stay, a), 5_000, () => 'cursors did not cross');
    await waitFor(() => relays[0].getStats().remoteClients === 2 && relays[1].getStats().remoteClients === 1, 2_000, () =>
      `remote clients ${relays.map((r) => r.getStats().remoteClients)}`,
    );

    // A client leaving normally: its removal crosses and instance 0 forgets it.
    leave.destroy();
    await waitFor(() => !sees(a, leave) && relays[0].getStats().remoteClients === 1, 2_000, () => `left: ${relays[0].getStats().remoteClients}`);
    // The room unloading on instance 1 (its last client gone): instance 1 drops the room's bookkeeping; instance 0
    // forgets the removed client.
    stay.destroy();
    await waitFor(() => servers[1].server.hocuspocus.documents.size === 0, 5_000, () => 'room did not unload');
    await waitFor(() => relays[1].getStats().remoteClients === 0 && relays[0].getStats().remoteClients === 0, 2_000, () =>
      `unloaded: ${relays.map((r) => r.getStats().remoteClients)}`,
    );
  });
});
