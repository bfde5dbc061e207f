/**
 * Sign-in mode's HTTP routes: `/auth/login?next=`, `/auth/callback`, `/auth/logout`, `GET /api/me`, and the sign-in
 * redirect of `/new` (which makes a board, so needs a person). The other pages (`/`, `/b/:room`, `/embed/:room`) are
 * the web app, which asks `/api/me` and shows its own sign-in page ("Sign in with <provider>") to nobody signed in.
 * Every `/auth/*` request counts against a per-address rate limit (429 beyond it).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../http/http-util.ts';
import type { Logger } from '../log.ts';
import { AddressLimiter } from '../sync/limits.ts';
import { OidcClient, ProviderUnavailable, SignInRefused } from './oidc.ts';
import { People } from './people.ts';
import { LOGIN_COOKIE, LOGIN_TTL_SECONDS, readCookies, serializeCookie } from './session-cookie.ts';

/** Options of {@link AuthRoutes}. */
export interface AuthRoutesOptions {
  people: People;
  oidc: OidcClient;
  /** How long a session lasts after sign-in (absolute, not sliding). */
  sessionTtlMs: number;
  /** `/auth/*` requests per second per client address, and the burst allowed. */
  rateLimit: { perSecond: number; burst: number };
  /** Client address of a request (X-Forwarded-For behind a trusted proxy). */
  clientAddress: (req: IncomingMessage) => string;
  log: Logger;
}

/** Pages that act for a person before any page shows: anyone not signed in is sent to sign in and brought back. */
const PAGES = /^\/new$/;

/** See the module comment. */
export class AuthRoutes {
  private readonly options: AuthRoutesOptions;
  private readonly people: People;
  private readonly oidc: OidcClient;
  private readonly limiter: AddressLimiter;
  private readonly log: Logger;

  constructor(options: AuthRoutesOptions) {
    this.options = options;
    this.people = options.people;
    this.oidc = options.oidc;
    this.limiter = new AddressLimiter(options.rateLimit.perSecond, options.rateLimit.burst);
    this.log = options.log.child({ module: 'sign-in' });
  }

  /** Answers the routes above; resolves false for any other request. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const path = url.pathname;
    if (path.startsWith('/auth/')) {
      if (!this.limiter.allow(this.options.clientAddress(req))) {
        sendJson(res, 429, { error: 'too many sign-in requests; wait a moment' });
        return true;
      }
      this.limiter.prune();
      if (path === '/auth/login' && req.method === 'GET') await this.login(res, url);
      else if (path === '/auth/callback' && req.method === 'GET') await this.callback(req, res, url);
      else if (path === '/auth/logout' && (req.method === 'GET' || req.method === 'POST')) await this.logout(req, res);
      else sendJson(res, 404, { error: 'not found' });
      return true;
    }
    if (path === '/api/me' && (req.method === 'GET' || req.method === 'HEAD')) {
      const person = await this.people.personOf(req);
      sendJson(res, 200, { mode: 'sign-in', provider: this.oidc.providerName, person, loginUrl: '/auth/login' });
      return true;
    }
    // Token holders (embeds, `?token=`) keep reaching pages without a session.
    if ((req.method === 'GET' || req.method === 'HEAD') && PAGES.test(path) && !url.searchParams.has('token')) {
      if (await this.people.personOf(req)) return false;
      redirect(res, `/auth/login?next=${encodeURIComponent(path + url.search)}`);
      return true;
    }
    return false;
  }

  /** Starts a sign-in: a fresh state, nonce and PKCE verifier in the login cookie, then off to the provider. */
  private async login(res: ServerResponse, url: URL): Promise<void> {
    const next = safeNext(url.searchParams.get('next'), this.people.publicUrl);
    let begun;
    try {
      begun = await this.oidc.beginLogin(next);
    } catch (error) {
      if (error instanceof ProviderUnavailable) return sendJson(res, 503, { error: error.message });
      throw error;
    }
    const cookie = serializeCookie(LOGIN_COOKIE, await this.people.keys.sealLogin(begun.login), {
      maxAgeSeconds: LOGIN_TTL_SECONDS,
      secure: this.people.secure,
      path: '/auth/',
    });
    redirect(res, begun.url, [cookie]);
  }

  /**
   * Ends a sign-in: checks the provider's answer against the login cookie, then starts a session under a new random
   * id (never one the browser brought: no session fixation) and returns to the page the person came from.
   */
  private async callback(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const login = await this.people.keys.openLogin(readCookies(req).get(LOGIN_COOKIE));
    const clearLogin = serializeCookie(LOGIN_COOKIE, '', { maxAgeSeconds: 0, secure: this.people.secure, path: '/auth/' });
    if (!login) return sendPage(res, 400, 'Sign-in expired or was started elsewhere. Please sign in again.', [clearLogin]);
    const error = url.searchParams.get('error');
    if (error) return sendPage(res, 403, `The identity provider refused the sign-in (${error}).`, [clearLogin]);
    let claims;
    try {
      // The URL the provider redirected to, rebuilt on the public origin (behind a proxy the request's own host differs).
      claims = await this.oidc.finishLogin(new URL(url.pathname + url.search, this.people.publicUrl), login);
    } catch (failure) {
      if (failure instanceof ProviderUnavailable) return sendPage(res, 503, failure.message, [clearLogin]);
      const message = failure instanceof SignInRefused ? failure.message : 'the identity provider\'s answer could not be verified';
      this.log.warn({ err: (failure as Error).message }, 'sign-in failed');
      return sendPage(res, 403, `Sign-in failed: ${message}.`, [clearLogin]);
    }
    const previous = await this.people.sessionOf(req);
    if (previous) await this.people.sessions.delete(previous.key);
    const session = this.people.keys.newSession();
    const now = Date.now();
    await this.people.sessions.create(session.key, {
      email: claims.email,
      name: claims.name,
      picture: claims.picture,
      idToken: claims.idToken,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.options.sessionTtlMs).toISOString(),
    });
    await this.people.sessions.saveProfile(claims.email, { name: claims.name, picture: claims.picture });
    this.log.info({ admin: this.people.isAdmin(claims.email) }, 'signed in');
    const cookie = serializeCookie(this.people.cookieName, session.cookie, {
      maxAgeSeconds: Math.floor(this.options.sessionTtlMs / 1000),
      secure: this.people.secure,
    });
    redirect(res, login.next, [cookie, clearLogin]);
  }

  /** Ends the session here and, where the provider supports it, at the provider too (RP-initiated logout). */
  private async logout(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A cross-site page may not sign people out either (a nuisance rather than a breach, but refused all the same).
    if (People.isChange(req) && !this.people.isSameOrigin(req)) return sendJson(res, 403, { error: 'cross-origin request refused' });
    const session = await this.people.sessionOf(req);
    if (session) {
      await this.people.sessions.delete(session.key);
      // Sockets other tabs opened with this session end now, not when they next reconnect.
      this.people.closeSession(session.key);
    }
    const clear = serializeCookie(this.people.cookieName, '', { maxAgeSeconds: 0, secure: this.people.secure });
    redirect(res, (session && this.oidc.logoutUrl(session.idToken)) ?? '/', [clear]);
  }
}

/**
 * The path to return to after sign-in: `next` when it is a path on PUBLIC_URL's origin, else `/`. Absolute URLs,
 * scheme-relative `//host` and backslash tricks resolve to another origin and are dropped (no open redirect).
 */
export function safeNext(next: string | null, publicUrl: string): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || /[\\\x00-\x1f]/.test(next)) return '/';
  const resolved = URL.parse(next, publicUrl);
  if (!resolved || resolved.origin !== new URL(publicUrl).origin || resolved.pathname.startsWith('/auth/')) return '/';
  return resolved.pathname + resolved.search + resolved.hash;
}

function redirect(res: ServerResponse, location: string, cookies: string[] = []): void {
  res.writeHead(303, { location, 'cache-control': 'no-store', ...(cookies.length > 0 ? { 'set-cookie': cookies } : {}) });
  res.end();
}

/** A small HTML page for the browser that landed here from the provider (the message is plain text, escaped). */
function sendPage(res: ServerResponse, status: number, message: string, cookies: string[]): void {
  const escaped = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const body = `<!doctype html><meta charset="utf-8"><title>Sign-in</title><p>${escaped}</p><p><a href="/auth/login">Sign in</a></p>`;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'set-cookie': cookies });
  res.end(body);
}
