/**
 * Sign-in mode on two instances sharing PostgreSQL and Redis: a session started on one opens boards on the other, and
 * removing a member through one instance closes that person's socket held by the other within 1 s (the relay's
 * closePerson message), after which the other instance refuses them (it reads the shared access records); signing
 * out through one instance closes the session's sockets held by the other (closeSession).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PostgresStore } from '../src/persistence/postgres-store.ts';
import { RedisRelay } from '../src/scaleout/redis-relay.ts';
import { Browser, CLIENT, freePort, openBoardSocket, startProvider } from './oidc-fixtures.ts';
import { startServer, waitFor, type TestServer } from './harness.ts';
import { withScaleoutServices, type ScaleoutServices } from './scaleout-services.ts';

/** Two instances (A, B) sharing the services' PostgreSQL and Redis, in sign-in mode with one OIDC provider. */
async function twoInstances(services: ScaleoutServices): Promise<[TestServer, TestServer]> {
  const ports = [await freePort(), await freePort()];
  const urls = ports.map((port) => `http://127.0.0.1:${port}`);
  const provider = await startProvider(urls);
  services.cleanups.push(() => provider.stop());
  const schema = services.schema();
  const servers: TestServer[] = [];
  for (const [i, port] of ports.entries()) {
    const relay = new RedisRelay({ url: services.redisUrl, prefix: services.run });
    await relay.open();
    const server = await startServer(
      {
        store: new PostgresStore({ connectionString: services.dbUrl, schema }),
        extensions: [relay],
        signIn: {
          issuerUrl: provider.issuer,
          clientId: CLIENT.id,
          clientSecret: CLIENT.secret,
          scopes: 'openid profile email',
          sessionSecret: 'one-session-secret-shared-by-every-instance',
          publicUrl: urls[i],
          adminEmails: [],
          allowHttpIssuer: true,
        },
      },
      port,
    );
    servers.push(server);
    services.cleanups.push(async () => {
      await server.stop();
      await relay.close();
    });
  }
  return [servers[0], servers[1]];
}

/** A browser with `login` signed in through `server`. */
async function signedIn(server: TestServer, login: string): Promise<Browser> {
  const browser = new Browser();
  await browser.signIn(`${server.httpUrl}/auth/login`, login);
  return browser;
}

withScaleoutServices('sign-in across instances', 'si', (services) => {
  test('a removal on one instance closes the socket held by the other within 1 s, and the next attempt is refused', async () => {
    const [a, b] = await twoInstances(services);
    const [alice, bob] = [await signedIn(a, 'alice'), await signedIn(a, 'bob')];
    const room = 'shared-board';
    const aliceSocket = await openBoardSocket(a.wsUrl, 'yjs', room, { cookie: alice.cookieHeader(a.httpUrl), origin: a.httpUrl });
    assert.equal(aliceSocket.outcome, 'open');
    const put = await fetch(`${a.httpUrl}/api/boards/${room}/members/bob@example.com`, {
      method: 'PUT',
      headers: { cookie: alice.cookieHeader(a.httpUrl), origin: a.httpUrl, 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'editor' }),
    });
    assert.equal(put.status, 200);

    // Bob's session, started on A, opens the board on B.
    const bobOnB = await openBoardSocket(b.wsUrl, 'sync', room, { cookie: bob.cookieHeader(a.httpUrl), origin: b.httpUrl });
    assert.equal(bobOnB.outcome, 'open');
    bobOnB.write('bob', 'from-b');
    await waitFor(() => a.server.hocuspocus.documents.get(room)?.getMap('m').get('bob') === 'from-b');

    const started = Date.now();
    const removal = await fetch(`${a.httpUrl}/api/boards/${room}/members/bob@example.com`, {
      method: 'DELETE',
      headers: { cookie: alice.cookieHeader(a.httpUrl), origin: a.httpUrl },
    });
    assert.equal(removal.status, 204);
    const closed = await bobOnB.closed;
    const elapsed = Date.now() - started;
    assert.equal(closed.code, 4403);
    assert.ok(elapsed < 1000, `closed on the other instance in ${elapsed} ms`);
    const again = await openBoardSocket(b.wsUrl, 'yjs', room, { cookie: bob.cookieHeader(a.httpUrl), origin: b.httpUrl });
    assert.deepEqual(again.outcome === 'open' ? 'open' : again.outcome.code, 4403);
    assert.equal(aliceSocket.ws.readyState, aliceSocket.ws.OPEN);
    aliceSocket.ws.close();
  });

  test("signing out through one instance closes the session's socket held by the other; the person's other session stays", async () => {
    const [a, b] = await twoInstances(services);
    // Two sessions of the same person (two browsers).
    const [carol, carolElsewhere] = [await signedIn(a, 'carol'), await signedIn(a, 'carol')];
    const room = 'carol-board';
    const onB = await openBoardSocket(b.wsUrl, 'sync', room, { cookie: carol.cookieHeader(a.httpUrl), origin: b.httpUrl });
    const otherOnB = await openBoardSocket(b.wsUrl, 'yjs', room, { cookie: carolElsewhere.cookieHeader(a.httpUrl), origin: b.httpUrl });
    assert.equal(onB.outcome, 'open');
    assert.equal(otherOnB.outcome, 'open');

    const out = await carol.request(`${a.httpUrl}/auth/logout`, { method: 'POST', headers: { origin: a.httpUrl } });
    assert.equal(out.status, 303);
    assert.deepEqual(await onB.closed, { code: 4401, reason: 'signed out' });
    otherOnB.write('carol', 'still signed in');
    await waitFor(() => b.server.hocuspocus.documents.get(room)?.getMap('m').get('carol') === 'still signed in');
    assert.equal(otherOnB.ws.readyState, otherOnB.ws.OPEN);
    otherOnB.ws.close();
  });
});
