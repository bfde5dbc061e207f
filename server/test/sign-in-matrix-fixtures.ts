/**
 * What the sign-in role matrix (sign-in-role-matrix.test.ts) runs on: one Scrawl server in sign-in mode on a LevelDB
 * store on disk, a real OpenID Provider, the people signed in through it, and a fresh board per check on which each
 * role is set up through the API itself (members, links), so one allowed change cannot spoil the next check.
 */
import assert from 'node:assert/strict';
import type { SignInOptions } from '../src/people/sign-in.ts';
import { Browser, CLIENT, freePort, startProvider, type TestProvider } from './oidc-fixtures.ts';
import { startLevelDbServer, tempDir, type TestServer } from './harness.ts';

/** Every kind of caller the matrix checks. */
export const ROLES = ['none', 'no-access', 'viewer', 'editor', 'owner', 'admin', 'view-link', 'edit-link'] as const;
/** One kind of caller: nobody signed in, a person with no role, a member by role, the owner, an admin, a link holder. */
export type MatrixRole = (typeof ROLES)[number];

/** What the matrix needs running. */
export interface MatrixWorld {
  srv: TestServer;
  /** alice owns the boards; bob takes the role under test; carol is in ADMIN_EMAILS. */
  alice: Browser;
  bob: Browser;
  carol: Browser;
  stop(): Promise<void>;
}

/** A board made for one check: alice owns it, and `role` is set up for the caller. */
export interface MatrixBoard {
  room: string;
  role: MatrixRole;
  /** The caller: null for nobody signed in. */
  caller: Browser | null;
  /** The id of a view or edit link of the board (made for every board, so link routes have one). */
  linkId: string;
}

/** An answer: status, JSON body (or null) and Location. */
export interface Answer {
  status: number;
  body: any;
  location: string | null;
}

/** Starts the provider and a LevelDB-backed server in sign-in mode (assets on disk too), and signs the three in. */
export async function startMatrixWorld(): Promise<MatrixWorld> {
  const data = tempDir('scrawl-role-matrix-');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const provider: TestProvider = await startProvider([url]);
  const signIn: SignInOptions = {
    issuerUrl: provider.issuer,
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    scopes: 'openid profile email',
    sessionSecret: 'a-session-secret-that-is-long-enough-0123456789',
    publicUrl: url,
    adminEmails: ['carol@example.com'],
    allowHttpIssuer: true,
    // The matrix signs in three people; the default limit is for browsers, not a test making a few hundred calls.
    authRateLimit: { perSecond: 1000, burst: 1000 },
  };
  const srv = await startLevelDbServer(data.path, { signIn, assetDir: data.path }, port);
  const signedIn = async (login: string) => {
    const browser = new Browser();
    const { response } = await browser.signIn(`${url}/auth/login`, login);
    assert.equal(response.status, 303, `sign-in of ${login}`);
    return browser;
  };
  const [alice, bob, carol] = [await signedIn('alice'), await signedIn('bob'), await signedIn('carol')];
  return {
    srv,
    alice,
    bob,
    carol,
    stop: async () => {
      await srv.stop();
      await provider.stop();
      data.remove();
    },
  };
}

/** A request: JSON `body`, or `raw` bytes of `type`. */
export interface Call {
  method: string;
  path: string;
  body?: unknown;
  raw?: Buffer;
  type?: string;
}

/** Makes `call` as `browser` (null: no cookie), always from the server's own origin (CSRF is sign-in.test.ts's). */
export async function call(srv: TestServer, browser: Browser | null, { method, path, body, raw, type }: Call): Promise<Answer> {
  const headers: Record<string, string> = { origin: srv.httpUrl };
  if (browser) headers.cookie = browser.cookieHeader(srv.httpUrl);
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (raw !== undefined) headers['content-type'] = type ?? 'application/octet-stream';
  const response = await fetch(`${srv.httpUrl}${path}`, {
    method,
    headers,
    body: raw !== undefined ? new Uint8Array(raw) : body === undefined ? undefined : JSON.stringify(body),
    redirect: 'manual',
  });
  const json = response.headers.get('content-type')?.startsWith('application/json') && method !== 'HEAD';
  // JSON answers of many shapes; the matrix checks the status, fixtures read ids out of them.
  const answer: any = json ? await response.json() : (await response.arrayBuffer(), null);
  return { status: response.status, body: answer, location: response.headers.get('location') };
}

/** Like {@link call}, and fails unless the answer is 2xx (fixtures' own set-up calls). */
export async function must(srv: TestServer, browser: Browser | null, request: Call): Promise<Answer> {
  const answer = await call(srv, browser, request);
  assert.ok(answer.status >= 200 && answer.status < 300, `${request.method} ${request.path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer;
}

/**
 * A fresh board (a duplicate of `base`, which alice owns, so it has a catalog entry and alice owns it too) with
 * `role` set up for the caller: bob as member or link visitor, alice as owner, carol as admin, nobody for `none`.
 */
export async function boardFor(world: MatrixWorld, base: string, role: MatrixRole): Promise<MatrixBoard> {
  const { srv, alice, bob, carol } = world;
  const room = (await must(srv, alice, { method: 'POST', path: `/api/boards/${base}/duplicate`, body: {} })).body.id as string;
  const access = role === 'edit-link' ? 'edit' : 'view';
  const linkId = (await must(srv, alice, { method: 'POST', path: `/api/boards/${room}/links`, body: { access } })).body.id as string;
  if (role === 'viewer' || role === 'editor') await must(srv, alice, { method: 'PUT', path: `/api/boards/${room}/members/bob@example.com`, body: { role } });
  if (role === 'view-link' || role === 'edit-link') {
    const accepted = await must(srv, bob, { method: 'POST', path: `/api/boards/${room}/links/${linkId}/accept` });
    assert.equal(accepted.body.role, role === 'edit-link' ? 'editor' : 'viewer');
  }
  const caller = role === 'none' ? null : role === 'owner' ? alice : role === 'admin' ? carol : bob;
  return { room, role, caller, linkId };
}

/** The smallest PNG signature the thumbnail route accepts, and bytes the asset route stores as a PNG. */
export const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('role-matrix')]);
