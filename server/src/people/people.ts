/**
 * Who is asking and what they may do, in sign-in mode: the person behind a request's session cookie, their role on a
 * board (claiming boards nobody owns yet), the boards they may list, same-origin checks, and changes of access that
 * close the connections of everyone who lost some of it, on every instance.
 */
import type { IncomingMessage } from 'node:http';
import type { Hocuspocus } from '@hocuspocus/server';
import { CloseCode, ProtocolError } from '../close-codes.ts';
import { HttpError, bearerToken } from '../http/http-util.ts';
import type { Logger } from '../log.ts';
import type { TokenClaims, TokenVerifier } from '../sync/auth.ts';
import { closePersonConnections, closeSessionConnections, type RoomCloser } from '../sync/close-room.ts';
import { type BoardAccess, effectiveRole, peopleWithAccess } from './access-record.ts';
import type { AccessStore } from './access-store.ts';
import { type Person, type Role, allows, compareRoles } from './person.ts';
import { CookieKeys, readCookies, sessionCookieName } from './session-cookie.ts';
import type { SessionStore } from './session-store.ts';

/** Options of {@link People}. */
export interface PeopleOptions {
  access: AccessStore;
  sessions: SessionStore;
  /** SESSION_SECRET. */
  sessionSecret: string;
  /** PUBLIC_URL's origin: the one origin whose browsers may use the session cookie for changes and WebSockets. */
  publicUrl: string;
  /** ADMIN_EMAILS (lower case). */
  adminEmails: string[];
  /** Token holders (AUTH_SECRET, embedders) are still let in beside signed-in people; null: tokens are refused. */
  verifier: TokenVerifier | null;
  /** True for a template board: any signed-in person may view it and nobody claims it. */
  isTemplate: (room: string) => Promise<boolean>;
  hocuspocus: () => Hocuspocus;
  /** Closes a person's connections on every instance (the Redis relay); default: on this instance only. */
  closer?: RoomCloser;
  log: Logger;
}

/** What an API call is made by: a signed-in person (with their role on the board asked about) or a token holder. */
export type Caller = { person: Person; role: Role | null; claims?: undefined } | { person?: undefined; claims: TokenClaims };

/** What an API route needs: a role on the board, an admin, or only someone signed in. */
export type Need = Role | 'admin' | 'signed-in';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A signed-in person has no role on the board: 403 `no access to this board`. The people routes answer it with the
 * board's owner (name and email), so the web app's no-access page can say whom to ask.
 */
export class NoBoardAccess extends HttpError {
  /** The board asked about. */
  readonly room: string;
  constructor(room: string) {
    super(403, 'no access to this board');
    this.room = room;
  }
}

/** Sign-in mode's rules in one place; see the module comment. */
export class People {
  readonly access: AccessStore;
  readonly sessions: SessionStore;
  readonly keys: CookieKeys;
  /** Under https the cookie is Secure and named `__Host-...`. */
  readonly secure: boolean;
  private readonly options: PeopleOptions;
  private readonly admins: Set<string>;
  private readonly origin: string;

  constructor(options: PeopleOptions) {
    this.options = options;
    this.access = options.access;
    this.sessions = options.sessions;
    this.keys = new CookieKeys(options.sessionSecret);
    this.origin = new URL(options.publicUrl).origin;
    this.secure = this.origin.startsWith('https:');
    this.admins = new Set(options.adminEmails);
  }

  /** The public origin, for absolute URLs (links). */
  get publicUrl(): string {
    return this.origin;
  }

  /** Name of the session cookie. */
  get cookieName(): string {
    return sessionCookieName(this.secure);
  }

  /** The person signed in on this request (a valid, unexpired session), or null. */
  async personOf(req: IncomingMessage): Promise<Person | null> {
    return (await this.sessionOf(req))?.person ?? null;
  }

  /** The request's session: its store key, the person and the ID token; null without a valid one. */
  async sessionOf(req: IncomingMessage): Promise<{ key: string; person: Person; idToken: string | null } | null> {
    const key = this.keys.keyOf(readCookies(req).get(this.cookieName));
    if (!key) return null;
    const session = await this.sessions.get(key);
    if (!session) return null;
    const person: Person = { email: session.email, name: session.name, picture: session.picture, admin: this.admins.has(session.email) };
    return { key, person, idToken: session.idToken };
  }

  /**
   * True when a browser made the request from PUBLIC_URL's origin (Origin, else Sec-Fetch-Site), or when it carries
   * neither header (not a browser: no ambient cookie to abuse). Checked for every change made with the session
   * cookie and for WebSocket upgrades, so another site cannot act with a visitor's session (CSRF, CSWSH).
   */
  isSameOrigin(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin !== undefined) return origin === this.origin;
    const site = req.headers['sec-fetch-site'];
    return site === undefined || site === 'same-origin';
  }

  /** True for a request that changes something (not GET, HEAD or OPTIONS). */
  static isChange(req: IncomingMessage): boolean {
    return !SAFE_METHODS.has(req.method ?? 'GET');
  }

  /**
   * The role `person` has on `room`. A board nobody claimed yet becomes theirs when `claim` is set (the first
   * signed-in person who opens or creates it owns it), except a template, which every signed-in person may view.
   */
  async roleFor(room: string, person: Person, options: { claim?: boolean } = {}): Promise<Role | null> {
    let record = await this.access.get(room);
    if (!record && !person.admin && (await this.options.isTemplate(room))) return 'viewer';
    if (!record && options.claim && !person.admin) record = await this.access.claim(room, person.email);
    return effectiveRole(record, person);
  }

  /** Makes `person` the owner of a board they just created (duplicate, import, from a template). */
  async claimNew(room: string, person: Person): Promise<void> {
    await this.access.claim(room, person.email);
  }

  /** The boards `person` may list; null for every board (admins). */
  async visibleRooms(person: Person): Promise<string[] | null> {
    return person.admin ? null : this.access.roomsOf(person.email);
  }

  /**
   * Checks an API call (docs/authentication.md): a Bearer token when AUTH_SECRET is set (as in token mode), else the
   * session cookie. Throws HttpError 401 (nobody signed in), 403 (no such right, or a cross-origin change).
   */
  async authorize(req: IncomingMessage, room: string | null, need: Need): Promise<Caller> {
    const token = bearerToken(req);
    if (token !== null && this.options.verifier) return { claims: await this.authorizeToken(token, room, need) };
    if (People.isChange(req) && !this.isSameOrigin(req)) throw new HttpError(403, 'cross-origin request refused');
    const person = await this.personOf(req);
    if (!person) throw new HttpError(401, 'sign in required');
    if (need === 'signed-in' || room === null) return { person, role: null };
    if (need === 'admin') {
      if (!person.admin) throw new HttpError(403, 'admins only');
      return { person, role: 'owner' };
    }
    const role = await this.roleFor(room, person);
    if (role === null) throw new NoBoardAccess(room);
    if (!allows(role, need)) throw new HttpError(403, `needs the ${need} role`);
    return { person, role };
  }

  private async authorizeToken(token: string, room: string | null, need: Need): Promise<TokenClaims> {
    const verifier = this.options.verifier!;
    try {
      const claims = room === null || need === 'admin' ? await verifier.verify(token) : await verifier.authorize(token, room);
      if (need !== 'viewer' && need !== 'signed-in' && claims.mode !== 'rw') throw new ProtocolError(CloseCode.forbidden, 'read-only token');
      if (need === 'admin' && claims.room !== '*') throw new ProtocolError(CloseCode.forbidden, 'admin token required');
      return claims;
    } catch (error) {
      if (error instanceof ProtocolError) throw new HttpError(error.code === CloseCode.forbidden ? 403 : 401, error.reason);
      throw error;
    }
  }

  /**
   * Applies `change` to the board's record and closes, on every instance, the connections of each person whose role
   * went down (removed, lowered, their link revoked): 4403 now, and their next attempt gets the new role or none.
   * Resolves the new record, or null for a board without one.
   */
  async changeAccess(room: string, change: (access: BoardAccess) => BoardAccess): Promise<BoardAccess | null> {
    const result = await this.access.update(room, change);
    if (!result) return null;
    for (const email of peopleWithAccess(result.before)) {
      if (this.admins.has(email)) continue;
      const before = effectiveRole(result.before, this.personStub(email));
      const after = effectiveRole(result.after, this.personStub(email));
      if (compareRoles(after, before) < 0) this.closePerson(room, email, after === null ? 'access to this board was removed' : 'your role on this board changed');
    }
    return result.after;
  }

  /** Closes one person's connections to a room on every instance (4403). */
  closePerson(room: string, email: string, reason: string): void {
    this.options.log.info({ room }, 'closing the connections of a person whose access changed');
    if (this.options.closer?.closePersonEverywhere) this.options.closer.closePersonEverywhere(room, email, reason);
    else closePersonConnections(this.options.hocuspocus().documents.get(room), email, reason);
  }

  /** Closes the connections made with one sign-in session on every instance (4401): its person signed out. */
  closeSession(sessionKey: string): void {
    const reason = 'signed out';
    if (this.options.closer?.closeSessionEverywhere) this.options.closer.closeSessionEverywhere(sessionKey, reason);
    else closeSessionConnections(this.options.hocuspocus().documents.values(), sessionKey, reason);
  }

  /** True for an email in ADMIN_EMAILS. */
  isAdmin(email: string): boolean {
    return this.admins.has(email);
  }

  private personStub(email: string): Person {
    return { email, name: email, picture: null, admin: false };
  }
}
