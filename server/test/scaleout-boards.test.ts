/**
 * The board catalog with several instances on one PostgreSQL store and Redis: every instance lists and searches the
 * same catalog, the trash closes a board's connections on every instance within a second and every instance refuses
 * it after, and deleting for good leaves no row of the board but its tombstone.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { closed, openRawSocket, synced, waitFor, yjsClient } from './harness.ts';
import { addLabel, api } from './boards-fixtures.ts';
import { startRelayedServers, withScaleoutServices } from './scaleout-services.ts';

withScaleoutServices('scale-out boards', 'bo', (services) => {
  test('two instances share the catalog; the trash closes the board on both; delete forever leaves only a tombstone', async () => {
    const schema = services.schema('boards');
    const { servers } = await startRelayedServers(services, 2, `${services.run}-boards`, schema);
    const [a, b] = servers;

    const writer = yjsClient(a.wsUrl, 'shared-board');
    await synced(writer);
    addLabel(writer.doc, 'shape:x', 'written on instance A', 0, 0);
    const hit = await waitFor(async () => {
      const body = await (await api(b, '/api/boards?q=instance')).json();
      return body.boards.find((board: { id: string }) => board.id === 'shared-board');
    });
    assert.equal(hit.shapeCount, 1, 'instance B lists what instance A derived');

    const onA = await openRawSocket(`${a.wsUrl}/yjs/shared-board`);
    const closing = closed(onA, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const trashedAt = Date.now();
    assert.equal((await api(b, '/api/boards/shared-board', { method: 'DELETE' })).status, 200);
    assert.deepEqual(await closing, { code: 4403, reason: 'board is in the trash' });
    const closeMs = Date.now() - trashedAt;
    assert.ok(closeMs < 1_000, `instance A closed its connection ${closeMs} ms after the trash on B`);
    assert.deepEqual(await closed(await openRawSocket(`${a.wsUrl}/yjs/shared-board`)), { code: 4403, reason: 'board is in the trash' });
    writer.destroy();

    assert.equal((await api(a, '/api/boards/shared-board?forever=1', { method: 'DELETE' })).status, 204);
    const client = new pg.Client({ connectionString: services.dbUrl });
    await client.connect();
    try {
      const rows: Record<string, number> = {};
      for (const [table, column] of [
        ['scrawl_snapshots', 'room'],
        ['scrawl_log', 'room'],
        ['scrawl_versions', 'room'],
        ['scrawl_boards', 'id'],
        ['scrawl_board_thumbnails', 'id'],
        ['scrawl_board_tombstones', 'id'],
      ]) {
        const result = await client.query(`SELECT count(*)::int AS n FROM "${schema}".${table} WHERE ${column} = $1`, ['shared-board']);
        rows[table] = result.rows[0].n;
      }
      assert.deepEqual(rows, {
        scrawl_snapshots: 0,
        scrawl_log: 0,
        scrawl_versions: 0,
        scrawl_boards: 0,
        scrawl_board_thumbnails: 0,
        scrawl_board_tombstones: 1,
      });
    } finally {
      await client.end();
    }
    assert.deepEqual(await closed(await openRawSocket(`${b.wsUrl}/yjs/shared-board`)), { code: 4403, reason: 'board was deleted' });
  });
});
