/**
 * A real OpenID Provider for the sign-in tests (the npm package oidc-provider) on 127.0.0.1, with one confidential
 * client and the accounts alice, bob and carol, and a small browser stand-in that signs a person in by following the
 * redirects and submitting the provider's own dev login and consent forms over HTTP, keeping cookies per origin.
 */
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { encodeAuthFrame, encodeDocumentPrefix } from '../src/sync/frames.ts';
import { yjsSyncFrame } from './harness.ts';

/** The accounts every provider knows: login name -> claims. */
export const ACCOUNTS: Record<string, { email: string; name: string }> = {
  alice: { email: 'alice@example.com', name: 'Alice Archer' },
  bob: { email: 'bob@example.com', name: 'Bob Baker' },
  carol: { email: 'carol@example.com', name: 'Carol Cooper' },
};

/** The client Scrawl is registered as. */
export const CLIENT = { id: 'scrawl', secret: 'a-confidential-client-secret-for-tests' };

/** A running provider. */
export interface TestProvider {
  issuer: string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (Scrawl's PUBLIC_URL must be known before it listens). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts a provider whose client may redirect back to each of `scrawlUrls` (`/auth/callback`, and `/` after logout). */
export async function startProvider(scrawlUrls: string[], port = 0): Promise<TestProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
        redirect_uris: scrawlUrls.map((url) => `${url}/auth/callback`),
        post_logout_redirect_uris: scrawlUrls.map((url) => `${url}/`),
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    async findAccount(_ctx: unknown, id: string) {
      const account = ACCOUNTS[id];
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, email: account.email, email_verified: true, name: account.name }) };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'picture'] },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    cookies: { keys: ['oidc-provider-test-cookie-key'] },
  });
  // The provider's dev-only warnings and errors go to its own events; the tests assert on Scrawl's side.
  provider.on('server_error', () => {});
  server.on('request', provider.callback());
  return {
    issuer,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A cookie jar per origin, enough for these flows (paths are ignored: every cookie of an origin is sent). */
export class Browser {
  private readonly jars = new Map<string, Map<string, string>>();
  /** Every response's Set-Cookie headers, by cookie name (the last one), for attribute checks. */
  readonly setCookies = new Map<string, string>();

  /** The cookie header for `url`'s origin. */
  cookieHeader(url: string): string {
    return [...(this.jars.get(new URL(url).origin) ?? new Map()).entries()].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** The value of a cookie of `origin`, or undefined. */
  cookie(origin: string, name: string): string | undefined {
    return this.jars.get(origin)?.get(name);
  }

  /** Sets (or with null removes) a cookie by hand. */
  setCookie(origin: string, name: string, value: string | null): void {
    const jar = this.jars.get(origin) ?? new Map<string, string>();
    this.jars.set(origin, jar);
    if (value === null) jar.delete(name);
    else jar.set(name, value);
  }

  /** One request without following redirects; cookies sent and stored. */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookies = this.cookieHeader(url);
    if (cookies) headers.set('cookie', cookies);
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      this.setCookies.set(name, line);
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      this.setCookie(new URL(url).origin, name, expired ? null : value);
    }
    return response;
  }

  /**
   * Signs `login` in: from `startUrl` (Scrawl's /auth/login?next=...) through the provider's login and consent
   * forms, back to Scrawl's callback. Resolves the last response (Scrawl's redirect to `next`) and its URL.
   */
  async signIn(startUrl: string, login: string): Promise<{ response: Response; url: string }> {
    let url = startUrl;
    let init: RequestInit = {};
    for (let step = 0; step < 20; step++) {
      const response = await this.request(url, init);
      init = {};
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        const next = new URL(location, url).href;
        // Back at Scrawl after its callback: done.
        if (new URL(url).pathname === '/auth/callback') return { response, url };
        url = next;
        continue;
      }
      const html = await response.text();
      const form = /<form[^>]*action="([^"]+)"[^>]*method="post"/i.exec(html);
      if (response.status !== 200 || !form) {
        if (new URL(url).pathname === '/auth/callback') return { response: new Response(html, { status: response.status }), url };
        throw new Error(`sign-in stuck at ${url}: ${response.status} ${html.slice(0, 300)}`);
      }
      const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
      const body = new URLSearchParams({ prompt: prompt ?? '' });
      if (prompt === 'login') {
        body.set('login', login);
        body.set('password', 'any password: the dev login form accepts any');
      }
      url = new URL(form[1].replace(/&amp;/g, '&'), url).href;
      init = { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    }
    throw new Error('sign-in did not finish in 20 steps');
  }
}

/** A WebSocket client on one of Scrawl's endpoints, made with a browser's cookies and Origin (or none). */
export interface BoardSocket {
  ws: WebSocket;
  /** 'open' once the server let it in (its first message), or how it was closed. */
  outcome: 'open' | { code: number; reason: string };
  /** Resolves when it closes. */
  closed: Promise<{ code: number; reason: string }>;
  /** Sends a document update setting `m[key] = value`. */
  write(key: string, value: string): void;
}

/** Opens `endpoint` for `room` with `cookie` and `origin` headers, and waits until it is let in or closed. */
export async function openBoardSocket(
  wsUrl: string,
  endpoint: 'sync' | 'yjs',
  room: string,
  headers: { cookie?: string; origin?: string; token?: string },
): Promise<BoardSocket> {
  const url = endpoint === 'sync' ? `${wsUrl}/sync` : `${wsUrl}/yjs/${room}${headers.token ? `?token=${headers.token}` : ''}`;
  const requestHeaders: Record<string, string> = {};
  if (headers.cookie) requestHeaders.cookie = headers.cookie;
  if (headers.origin) requestHeaders.origin = headers.origin;
  const ws = new WebSocket(url, { headers: requestHeaders });
  ws.binaryType = 'nodebuffer';
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const closing = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const firstMessage = new Promise<'open'>((resolve) => ws.once('message', () => resolve('open')));
  // Hocuspocus answers (and so lets a client in visibly) once the client asks to sync.
  const step1 = yjsSyncFrame(0, Y.encodeStateVector(new Y.Doc()));
  if (endpoint === 'sync') ws.send(encodeAuthFrame(room, headers.token ?? ''));
  ws.send(endpoint === 'sync' ? Buffer.concat([encodeDocumentPrefix(room), step1]) : step1);
  const outcome = await Promise.race([firstMessage, closing]);
  const write = (key: string, value: string) => {
    const doc = new Y.Doc();
    doc.getMap('m').set(key, value);
    const frame = yjsSyncFrame(2, Y.encodeStateAsUpdate(doc));
    doc.destroy();
    ws.send(endpoint === 'sync' ? Buffer.concat([encodeDocumentPrefix(room), frame]) : frame);
  };
  return { ws, outcome, closed: closing, write };
}
