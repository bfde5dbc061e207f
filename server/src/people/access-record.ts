/**
 * One board's access record and the rules that change it, as pure functions: every store (memory, LevelDB,
 * PostgreSQL) keeps the record as one JSON value per board and applies these inside its own atomic update, so the
 * rules are written once and the contract suite checks them the same way on each.
 */
import { type LinkAccess, type Person, type Role, linkRole, strongerRole } from './person.ts';

/** A link that grants access to whoever opens it while signed in, until it is revoked. */
export interface BoardLink {
  /** 128 random bits, base64url: the secret part of the link's URL. */
  id: string;
  access: LinkAccess;
  /** Email of the person who made it. */
  createdBy: string;
  /** ISO time. */
  createdAt: string;
}

/** Who may open a board (INTERFACE.md, "People"). */
export interface BoardAccess {
  room: string;
  /** Email of the board's owner: its creator until ownership is transferred. Always also a member with role owner. */
  owner: string;
  /** Members by email (lower case), the owner included. An invitation is a member who has not signed in yet. */
  members: Record<string, Role>;
  /** Links not revoked, oldest first. */
  links: BoardLink[];
  /** People who opened the board through a link: email -> ids of the links they used (revoked ones dropped). */
  linkVisitors: Record<string, string[]>;
}

/** A change refused because it breaks a rule (answered 409 by the API). */
export class AccessRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccessRuleError';
  }
}

/** A fresh record: `owner` created the board. */
export function newAccess(room: string, owner: string): BoardAccess {
  return { room, owner, members: { [owner]: 'owner' }, links: [], linkVisitors: {} };
}

/** The role `email` holds on the board through membership or links; null for none. Admins are not considered here. */
export function roleOf(access: BoardAccess, email: string): Role | null {
  let role: Role | null = access.members[email] ?? null;
  for (const id of access.linkVisitors[email] ?? []) {
    const link = access.links.find((l) => l.id === id);
    if (link) role = strongerRole(role, linkRole(link.access));
  }
  return role;
}

/** The role `person` has on a board with record `access` (null: a board nobody claimed yet). Admins are owners everywhere. */
export function effectiveRole(access: BoardAccess | null, person: Person): Role | null {
  if (person.admin) return 'owner';
  return access ? roleOf(access, person.email) : null;
}

/** Sets a member's role (an invitation when they never signed in). The owner's own role stays owner: transfer first. */
export function withMember(access: BoardAccess, email: string, role: Role): BoardAccess {
  if (email === access.owner && role !== 'owner') throw new AccessRuleError("the board's owner stays owner: transfer ownership first");
  return { ...access, members: { ...access.members, [email]: role } };
}

/** Removes a member (and any access they had through links). The owner cannot be removed: transfer ownership first. */
export function withoutMember(access: BoardAccess, email: string): BoardAccess {
  if (email === access.owner) throw new AccessRuleError("the board's owner cannot be removed: transfer ownership first");
  const members = { ...access.members };
  delete members[email];
  const linkVisitors = { ...access.linkVisitors };
  delete linkVisitors[email];
  return { ...access, members, linkVisitors };
}

/** Makes `email` the owner; the previous owner stays a member as editor. */
export function withOwner(access: BoardAccess, email: string): BoardAccess {
  if (email === access.owner) return access;
  return { ...access, owner: email, members: { ...access.members, [access.owner]: 'editor', [email]: 'owner' } };
}

/** Adds a link. */
export function withLink(access: BoardAccess, link: BoardLink): BoardAccess {
  return { ...access, links: [...access.links, link] };
}

/** Revokes a link: it is gone, and so is the access of everyone who came through it (their memberships stay). */
export function withoutLink(access: BoardAccess, id: string): BoardAccess {
  const linkVisitors: Record<string, string[]> = {};
  for (const [email, ids] of Object.entries(access.linkVisitors)) {
    const kept = ids.filter((i) => i !== id);
    if (kept.length > 0) linkVisitors[email] = kept;
  }
  return { ...access, links: access.links.filter((l) => l.id !== id), linkVisitors };
}

/** Records that `email` opened the board through link `id` (which must exist). */
export function withLinkVisitor(access: BoardAccess, id: string, email: string): BoardAccess {
  if (!access.links.some((l) => l.id === id)) throw new AccessRuleError('no such link');
  const ids = access.linkVisitors[email] ?? [];
  if (ids.includes(id)) return access;
  return { ...access, linkVisitors: { ...access.linkVisitors, [email]: [...ids, id] } };
}

/** Every email with some access to the board: what the boards list of each of them shows. */
export function peopleWithAccess(access: BoardAccess): string[] {
  return [...new Set([access.owner, ...Object.keys(access.members), ...Object.keys(access.linkVisitors)])];
}
