import * as Y from 'yjs';
import { convergedShapes, drawNewStroke, shapesOf, waitUntilConnected, wavyPath } from '../src/board.ts';
import { expect, test } from '../src/fixtures.ts';

test('a reload of B and a restart of the server keep every shape', async ({ boards, room, server }) => {
  const a = await (await boards.newContext()).open(room, 'Alice');
  const b = await (await boards.newContext()).open(room, 'Bob');

  await drawNewStroke(a, wavyPath(200, 200, 15));
  await drawNewStroke(a, wavyPath(200, 320, 15));
  await drawNewStroke(b, wavyPath(200, 440, 15));
  const shapes = await convergedShapes([a, b], 3);

  // Reload B: every shape, identical.
  await b.reload();
  await waitUntilConnected(b);
  await expect.poll(() => shapesOf(b), { message: 'shapes after reloading B' }).toEqual(shapes);

  // Restart the server (SIGTERM, then start on the same port and DATA_DIR).
  await server.restart();
  expect(server.lastExitCode, 'graceful stop exits 0').toBe(0);

  // The server alone holds every shape: its state endpoint, and a fresh browser with no local cache.
  const response = await fetch(`${server.url}/api/rooms/${room}/state`);
  expect(response.status).toBe(200);
  const stored = new Y.Doc();
  Y.applyUpdate(stored, new Uint8Array(await response.arrayBuffer()));
  const storedShapes = Object.values(stored.getMap('records').toJSON())
    .filter((record: any) => record.typeName === 'shape')
    .sort((x: any, y: any) => (x.id < y.id ? -1 : 1));
  expect(storedShapes, 'GET /api/rooms/:room/state after the restart').toEqual(shapes);

  const c = await (await boards.newContext()).open(room, 'Carol');
  expect(await shapesOf(c), 'a fresh browser after the restart').toEqual(shapes);

  // The open tabs reconnect on their own and keep working: a stroke after the restart reaches everyone.
  await waitUntilConnected(a, 30_000);
  await waitUntilConnected(b, 30_000);
  expect(await shapesOf(a)).toEqual(shapes);
  expect(await shapesOf(b)).toEqual(shapes);
  const after = await drawNewStroke(b, wavyPath(600, 300, 15));
  await expect.poll(async () => (await shapesOf(c)).map((shape) => shape.id)).toContain(after.id);
  await expect.poll(async () => (await shapesOf(a)).length).toBe(4);
});
