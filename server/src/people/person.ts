/**
 * Who is signed in, and the roles a board grants (sign-in mode, docs/authentication.md). Types and small rules only,
 * shared by the stores, the API and the socket layer.
 */
import type { IncomingMessage } from 'node:http';

/** A signed-in person, as their session holds them. The email is the key of every access record. */
export interface Person {
  /** Lower-cased email address from the identity provider: what members are invited by. */
  email: string;
  /** Display name (`name` claim, else the email). */
  name: string;
  /** Avatar URL (`picture` claim), or null. */
  picture: string | null;
  /** True for an address listed in ADMIN_EMAILS: sees and manages every board. */
  admin: boolean;
}

/** What a member may do on a board: look, change, or also manage who has access. */
export type Role = 'viewer' | 'editor' | 'owner';

/** Every role, weakest first. */
export const ROLES: readonly Role[] = ['viewer', 'editor', 'owner'];

/** What a link grants whoever opens it while signed in. */
export type LinkAccess = 'view' | 'edit';

/** The role a link of `access` grants. */
export function linkRole(access: LinkAccess): Role {
  return access === 'edit' ? 'editor' : 'viewer';
}

/** -1, 0 or 1 as `a` is weaker than, equal to or stronger than `b` (null: no access, weakest of all). */
export function compareRoles(a: Role | null, b: Role | null): number {
  return Math.sign((a === null ? -1 : ROLES.indexOf(a)) - (b === null ? -1 : ROLES.indexOf(b)));
}

/** The stronger of two roles. */
export function strongerRole(a: Role | null, b: Role | null): Role | null {
  return compareRoles(a, b) >= 0 ? a : b;
}

/** True when `role` allows at least `needed`. */
export function allows(role: Role | null, needed: Role): boolean {
  return role !== null && compareRoles(role, needed) >= 0;
}

// Deliberately loose: the identity provider vouches for addresses; this only keeps junk out of records and URLs.
const EMAIL = /^[^\s@/\\]{1,128}@[^\s@/\\]{1,253}$/;

/** The canonical form of an email address (trimmed, lower case), or null when it does not look like one. */
export function normalizeEmail(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const email = value.trim().toLowerCase();
  return EMAIL.test(email) ? email : null;
}

/** Who made a WebSocket upgrade, and with which session (so that signing out can close the socket). */
export interface UpgradeSession {
  person: Person;
  /** The store key of the session (the SHA-256 of its id, never the id itself). */
  sessionKey: string;
}

/**
 * The person and session a WebSocket upgrade was made with, found from its session cookie before the upgrade and read
 * by the socket layer into the connection's context. A WeakMap, so nothing outlives the request.
 */
export const upgradePeople = new WeakMap<IncomingMessage, UpgradeSession>();
