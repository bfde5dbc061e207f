/**
 * Calibration, not a competitor: the least a relay can do on this machine. A `ws` server speaking just enough of
 * the y-websocket protocol (answers SyncStep1 with an empty SyncStep2, then forwards every update and awareness
 * frame verbatim to the room's other sockets), with no Y.Doc, no parsing of updates, no store.
 *
 * Its fan-out latency is the share of the figure that belongs to the harness (50 readers on one client event
 * loop, the kernel's loopback, `ws` framing) rather than to any Yjs server; a target below it cannot be measured
 * here. Env: HOST, PORT.
 */
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

const port = Number(process.env.PORT);
const host = process.env.HOST ?? '127.0.0.1';
const rooms = new Map<string, Set<WebSocket>>();
const STEP2_EMPTY = Uint8Array.of(0, 1, 2, 0, 0); // [sync][step 2][len 2][empty update]

const http = createServer((_req, res) => res.end('ok'));
const wss = new WebSocketServer({ server: http });
wss.on('connection', (socket, request) => {
  const room = (request.url ?? '/').slice(1);
  let peers = rooms.get(room);
  if (!peers) rooms.set(room, (peers = new Set()));
  peers.add(socket);
  socket.on('message', (data: Buffer) => {
    if (data[0] === 0 && data[1] === 0) {
      socket.send(STEP2_EMPTY);
      return;
    }
    if ((data[0] === 0 && data[1] === 2) || data[0] === 1) {
      for (const peer of peers) if (peer !== socket) peer.send(data);
    }
  });
  socket.on('close', () => {
    peers.delete(socket);
    if (peers.size === 0) rooms.delete(room);
  });
});
http.listen(port, host, () => console.log(`floor relay listening on ${host}:${port}`));
