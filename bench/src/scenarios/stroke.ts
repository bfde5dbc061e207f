/**
 * Stroke cost (issue 3): bytes per pointer-move update while drawing a freehand stroke of 60 and of 300 moves.
 *
 * The Yjs updates come from the web app's own `measureStrokeCost(moves)` (web/src/board/strokeCost.ts): a real
 * tldraw store bound to a Y.Doc by the app's binding, one frame (one Yjs transaction) per pointer move, the path
 * re-encoded by tldraw each move as its draw tool does. It runs in a child process (bench/src/board/stroke-child.ts).
 *
 * Wire size is computed, not sniffed: each update is framed exactly as the providers frame a local edit (lib0
 * encoding, the same code path as clients.ts) and the frame's length is the WebSocket payload:
 * - /sync (Hocuspocus): [varString room][varUint 0 sync][varUint 2 update][varUint8Array update], i.e. the update
 *   plus 1 + room length (a generated room id is 12 characters, so 13 bytes) + 2 + the update's length prefix
 *   (1 byte below 128 bytes);
 * - /yjs (y-websocket): the same without the room name.
 * The "with WebSocket header" row adds RFC 6455 framing for a browser's (masked) client frame: 2 bytes + 4 bytes
 * mask for payloads up to 125 bytes (4 + 4 up to 64 KiB). The server's relayed copy carries the same payload with
 * an unmasked header (2 bytes). TCP/IP headers are not counted (they depend on batching, not on the encoding).
 * No server is involved: the figures do not depend on load.
 *
 * Bytes per keystroke (issue 17): 200 keys typed into a sticky note's label through the same binding
 * (web/src/board/keystrokeCost.ts): each key one y-prosemirror edit of the label's Y.XmlFragment plus whatever the
 * frame then writes; the sum per key, median and max, as Yjs update and on the wire. The commit that copies the text
 * into props.richText once typing pauses is reported on its own (it is not a keystroke).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import * as encoding from 'lib0/encoding';
import type { Scenario, Value } from '../scenario.ts';
import { repoRoot, type Protocol } from '../servers.ts';
import { median } from '../stats.ts';

/** Length of the room ids the app generates (web/src/app/route.ts: 12 characters). */
const ROOM = 'x'.repeat(12);
const LENGTHS = [60, 300] as const;
const KEYSTROKES = 200;

interface StrokeCost {
  moves: number;
  updateBytes: number[];
  createBytes: number;
}

interface KeystrokeCost {
  keystrokes: number;
  keystrokeBytes: number[];
  commitBytes: number;
}

/** The WebSocket payload carrying one Yjs update of `size` bytes as a sync "update" message. */
export function syncFrameBytes(protocol: Protocol, size: number): number {
  const encoder = encoding.createEncoder();
  if (protocol === 'hp') encoding.writeVarString(encoder, ROOM);
  encoding.writeVarUint(encoder, 0); // sync
  encoding.writeVarUint(encoder, 2); // update
  encoding.writeVarUint8Array(encoder, new Uint8Array(size));
  return encoding.length(encoder);
}

/** RFC 6455 header of a masked (client -> server) frame with this payload length. */
function clientWsHeader(payload: number): number {
  return (payload <= 125 ? 2 : payload <= 0xffff ? 4 : 10) + 4;
}

function runChild(args: readonly string[]): Promise<Array<StrokeCost | KeystrokeCost>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bench', 'src', 'board', 'stroke-child.ts'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, NODE_ENV: 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`stroke-child exited with ${code ?? signal}: ${err.slice(-2000)}`));
      resolve(out.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as StrokeCost | KeystrokeCost));
    });
  });
}

const max = (values: number[]) => values.reduce((a, b) => Math.max(a, b), 0);

export const stroke: Scenario = {
  name: 'stroke',
  title:
    'stroke cost: bytes per pointer-move update, 60- and 300-move freehand strokes; bytes per keystroke typing into a label (web binding, real tldraw store)',
  targets: ['scrawl-sync', 'scrawl-yjs'],
  metrics: [
    { key: 'y60med', label: '60 moves: Yjs update, median (B)', ratio: false },
    { key: 'y60max', label: '60 moves: Yjs update, max (B)', ratio: false },
    { key: 'w60med', label: '60 moves: on the wire, median (B)', ratio: false, target: '<= 40 B' },
    { key: 'w60max', label: '60 moves: on the wire, max (B)', ratio: false },
    { key: 'y300med', label: '300 moves: Yjs update, median (B)', ratio: false },
    { key: 'y300max', label: '300 moves: Yjs update, max (B)', ratio: false },
    { key: 'w300med', label: '300 moves: on the wire, median (B)', ratio: false, target: '<= 40 B (tldraw+Yjs example ~1,165)' },
    { key: 'w300max', label: '300 moves: on the wire, max (B)', ratio: false },
    { key: 'w300lastMed', label: '300 moves: wire median, last 60 moves (B)', ratio: false, target: 'flat as it grows' },
    { key: 'w300ws', label: '300 moves: wire median + WS header (B)', ratio: false },
    { key: 'create', label: 'shape creation update (B)', ratio: false },
    { key: 'keyMed', label: `${KEYSTROKES} keys into a note: Yjs bytes per keystroke, median (B)`, ratio: false, target: '<= 40 B' },
    { key: 'keyMax', label: `${KEYSTROKES} keys into a note: Yjs bytes per keystroke, max (B)`, ratio: false, target: '<= 40 B' },
    { key: 'keyWireMed', label: `${KEYSTROKES} keys: on the wire per keystroke, median (B)`, ratio: false },
    { key: 'keyWireMax', label: `${KEYSTROKES} keys: on the wire per keystroke, max (B)`, ratio: false },
    { key: 'keyCommit', label: `${KEYSTROKES} keys: props.richText commit after the pause (B)`, ratio: false },
  ],
  async run(target) {
    const costs = await runChild([...LENGTHS.map(String), `keys:${KEYSTROKES}`]);
    const result: Record<string, Value> = {};
    for (const cost of costs) {
      if ('keystrokes' in cost) {
        // One key is one update here (the frame writes nothing for a bound label), so framing it once is exact.
        const wire = cost.keystrokeBytes.map((size) => syncFrameBytes(target.protocol, size));
        result.keyMed = median(cost.keystrokeBytes);
        result.keyMax = max(cost.keystrokeBytes);
        result.keyWireMed = median(wire);
        result.keyWireMax = max(wire);
        result.keyCommit = cost.commitBytes;
        continue;
      }
      const wire = cost.updateBytes.map((size) => syncFrameBytes(target.protocol, size));
      const n = cost.moves;
      result[`y${n}med`] = median(cost.updateBytes);
      result[`y${n}max`] = max(cost.updateBytes);
      result[`w${n}med`] = median(wire);
      result[`w${n}max`] = max(wire);
      if (n === 300) {
        result.w300lastMed = median(wire.slice(-60));
        result.w300ws = median(wire.map((bytes) => bytes + clientWsHeader(bytes)));
        result.create = cost.createBytes;
      }
    }
    return result;
  },
};
