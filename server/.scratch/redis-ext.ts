import { Redis } from '@hocuspocus/extension-redis';
import RedisClient from 'ioredis';
import * as Y from 'yjs';
import { startServer, yjsClient, hocuspocusClient, synced, waitFor } from '../test/harness.ts';
import { MemoryStore } from '../src/persistence/memory-store.ts';

const prefix = `scratch${process.pid}`;
const mon = new RedisClient(6379, '127.0.0.1');
let count = 0; const kinds: Record<string, number> = {};
await mon.psubscribe(`${prefix}*`);
mon.on('pmessageBuffer', (_p, ch: Buffer, data: Buffer) => { count++; const k = ch.toString().includes('#reply') ? 'reply' : 'doc'; const idl = data[0]; const rest = data.subarray(idl+1); // skip doc name
  kinds[k + ':' + rest[rest[0]+1] + '/' + rest[rest[0]+2]] = (kinds[k + ':' + rest[rest[0]+1] + '/' + rest[rest[0]+2]] ?? 0) + 1; });
const mk = () => new Redis({ host: '127.0.0.1', port: 6379, prefix });
const servers = [await startServer({ extensions: [mk()] }), await startServer({ extensions: [mk()] }), await startServer({ extensions: [mk()] })];
const a = yjsClient(servers[0].wsUrl, 'room'); const b = hocuspocusClient(servers[1].wsUrl, 'room'); const c = yjsClient(servers[2].wsUrl, 'room');
await Promise.all([synced(a), synced(b), synced(c)]);
await new Promise(r => setTimeout(r, 1500));
count = 0; for (const k in kinds) delete kinds[k];
a.doc.getMap('m').set('x', 1);
await waitFor(() => b.document.getMap('m').get('x') === 1 && c.doc.getMap('m').get('x') === 1);
await new Promise(r => setTimeout(r, 300));
console.log('one update: redis messages', count, kinds);
count = 0; for (const k in kinds) delete kinds[k];
a.awareness.setLocalStateField('cursor', 1);
await waitFor(() => b.awareness!.getStates().get(a.doc.clientID)?.cursor === 1);
await new Promise(r => setTimeout(r, 300));
console.log('one awareness update: redis messages', count, kinds);
const aid = a.doc.clientID;
const t0 = Date.now();
a.destroy();
try { await waitFor(() => !b.awareness!.getStates().has(aid), 5000); console.log('removal reached b after', Date.now() - t0, 'ms'); } catch (e) { console.log('removal did NOT reach b within 5 s'); }
b.destroy(); c.destroy();
await Promise.all(servers.map(s => s.stop()));
mon.disconnect();
process.exit(0);
