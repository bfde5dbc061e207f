/**
 * Sign-in mode, put together (docs/authentication.md): the stores beside the documents, the OpenID Connect client, the
 * HTTP routes, the WebSocket gate, and who a WebSocket upgrade is made by. `createScrawlServer({ signIn })` builds one;
 * without it nothing here runs and open and token modes are exactly as before.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hocuspocus } from '@hocuspocus/server';
import type { SignInConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { DocStore } from '../persistence/doc-store.ts';
import type { AuthExtension, TokenVerifier } from '../sync/auth.ts';
import type { RoomCloser } from '../sync/close-room.ts';
import { AuthRoutes } from './auth-routes.ts';
import { OidcClient } from './oidc.ts';
import { PeopleExtension } from './people-extension.ts';
import { People } from './people.ts';
import { upgradePeople } from './person.ts';
import { peopleStoresFor } from './stores-for.ts';

/** Sign-in settings (config.ts, OIDC_* and the rest) and the knobs tests turn. */
export interface SignInOptions extends SignInConfig {
  /** How long a session lasts, default 7 days. */
  sessionTtlMs?: number;
  /** `/auth/*` requests per second per address, default 5 with bursts of 30. */
  authRateLimit?: { perSecond: number; burst: number };
  /** First retry delay of a failed discovery, default 1 s (doubling up to 30 s). */
  discoveryRetryMs?: number;
}

/** What sign-in needs from the server. */
export interface SignInDependencies {
  store: DocStore;
  /** AUTH_SECRET's verifier, when tokens are accepted too. */
  verifier: TokenVerifier | null;
  /** The token gate, used for connections that carry a token. */
  tokens: AuthExtension | null;
  isTemplate: (room: string) => Promise<boolean>;
  hocuspocus: () => Hocuspocus;
  closer?: RoomCloser;
  clientAddress: (req: IncomingMessage) => string;
  onFailure: (reason: string) => void;
  log: Logger;
}

const DEFAULT_SESSION_TTL_MS = 7 * 24 * 3600 * 1000;
const SWEEP_MS = 3600 * 1000;

/** True for an `http:` URL on this machine (127.0.0.1, ::1, localhost): a provider for tests or a local set-up. */
export function isLoopbackHttp(url: string): boolean {
  const parsed = URL.parse(url);
  return parsed?.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(parsed.hostname);
}

/** See the module comment. */
export class SignIn {
  readonly people: People;
  readonly oidc: OidcClient;
  readonly routes: AuthRoutes;
  /** The Hocuspocus gate for both endpoints. */
  readonly extension: PeopleExtension;
  private readonly log: Logger;
  private sweepTimer: NodeJS.Timeout | null = null;

  constructor(options: SignInOptions, deps: SignInDependencies) {
    this.log = deps.log.child({ module: 'sign-in' });
    const stores = peopleStoresFor(deps.store);
    this.people = new People({
      ...stores,
      sessionSecret: options.sessionSecret,
      publicUrl: options.publicUrl,
      adminEmails: options.adminEmails,
      verifier: deps.verifier,
      isTemplate: deps.isTemplate,
      hocuspocus: deps.hocuspocus,
      closer: deps.closer,
      log: this.log,
    });
    const publicUrl = this.people.publicUrl;
    this.oidc = new OidcClient({
      issuerUrl: options.issuerUrl,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      scopes: options.scopes,
      redirectUri: `${publicUrl}/auth/callback`,
      postLogoutRedirectUri: `${publicUrl}/`,
      // config.ts lets a plain-http issuer through only on loopback or with OIDC_ALLOW_HTTP_ISSUER; openid-client must agree.
      allowHttp: options.allowHttpIssuer || isLoopbackHttp(options.issuerUrl),
      retryMs: options.discoveryRetryMs,
      log: deps.log,
    });
    this.routes = new AuthRoutes({
      people: this.people,
      oidc: this.oidc,
      sessionTtlMs: options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS,
      rateLimit: options.authRateLimit ?? { perSecond: 5, burst: 30 },
      clientAddress: deps.clientAddress,
      log: deps.log,
    });
    this.extension = new PeopleExtension(this.people, deps.tokens, deps.onFailure);
  }

  /** Opens the stores (the document store must be open) and starts discovery, which retries in the background. */
  async start(): Promise<void> {
    await this.people.access.open();
    await this.people.sessions.open();
    await this.oidc.start();
    const sweep = () => this.people.sessions.deleteExpired().catch((error: unknown) => this.log.warn({ err: error }, 'sweeping expired sessions failed'));
    void sweep();
    this.sweepTimer = setInterval(sweep, SWEEP_MS);
    this.sweepTimer.unref();
  }

  /** Stops discovery retries and the sweep, and closes the stores. */
  async stop(): Promise<void> {
    this.oidc.stop();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.people.access.close();
    await this.people.sessions.close();
  }

  /** Answers `/auth/*`, `/api/me`, the people routes' page redirects; false for anything else. */
  handleRequest(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    return this.routes.handle(req, res, url);
  }

  /**
   * Finds who makes a WebSocket upgrade, from the session cookie, and leaves them for the socket layer
   * ({@link upgradePeople}). A cookie on an upgrade from another origin is ignored: a foreign page must not open a
   * board with its visitor's session (cross-site WebSocket hijacking); such a client needs a token.
   */
  async identifyUpgrade(req: IncomingMessage): Promise<void> {
    if (!this.people.isSameOrigin(req)) return;
    const session = await this.people.sessionOf(req);
    if (session) upgradePeople.set(req, { person: session.person, sessionKey: session.key });
  }
}
