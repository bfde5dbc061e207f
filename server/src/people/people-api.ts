/**
 * Sign-in mode's board access routes (docs/protocol.md, "People"): members, links, ownership. Reading who has access
 * needs a role on the board; changing it needs owner (or an admin); a member may always remove themself.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, readJson, sendJson } from '../http/http-util.ts';
import { isValidRoomId } from '../rooms.ts';
import {
  AccessRuleError,
  type BoardAccess,
  roleOf,
  withLink,
  withLinkVisitor,
  withMember,
  withOwner,
  withoutLink,
  withoutMember,
} from './access-record.ts';
import { NoBoardAccess, type People } from './people.ts';
import { type Person, type Role, ROLES, normalizeEmail } from './person.ts';

const PATH = /^\/api\/boards\/([^/]+)\/(members|links|owner)(?:\/([^/]+))?(\/accept)?$/;

/**
 * The routes of `/api/boards/:room/(members|links|owner)` as `"<METHOD> <kind>[/:item][/accept]"`. The switch below is
 * typed by this list, so typecheck fails when the two differ; the role-matrix test (test/sign-in-role-matrix.test.ts)
 * walks it, so a route without an expectation there fails that test.
 */
export const PEOPLE_ROUTES = [
  'GET members',
  'HEAD members',
  'PUT members/:item',
  'DELETE members/:item',
  'POST links',
  'DELETE links/:item',
  'POST links/:item/accept',
  'PUT owner',
] as const;

/** Serves the routes above; resolves false for other paths. */
export async function handlePeopleApi(req: IncomingMessage, res: ServerResponse, url: URL, people: People): Promise<boolean> {
  const match = PATH.exec(url.pathname);
  if (!match) return false;
  const [, room, kind, rawItem, accept] = match;
  try {
    if (!isValidRoomId(room)) throw new HttpError(400, 'room ids match ^[A-Za-z0-9_-]{1,64}$');
    const item = rawItem === undefined ? null : decodeURIComponent(rawItem);
    // Any string at run time (unknown ones reach `default`); typed so each case must be one of PEOPLE_ROUTES.
    const route = `${req.method} ${kind}${item === null ? '' : '/:item'}${accept ?? ''}` as (typeof PEOPLE_ROUTES)[number];
    switch (route) {
      case 'GET members':
      case 'HEAD members': {
        const caller = await people.authorize(req, room, 'viewer');
        return reply(res, 200, await view(people, room, caller.person ?? null, caller.person ? caller.role : null));
      }
      case 'PUT members/:item': {
        const person = await owner(people, req, room);
        const email = emailOf(item);
        const role = (await readJson(req)).role;
        if (!ROLES.includes(role as Role)) throw new HttpError(400, `role must be one of ${ROLES.join(', ')}`);
        await change(people, room, (a) => withMember(a, email, role as Role));
        return reply(res, 200, await view(people, room, person, 'owner'));
      }
      case 'DELETE members/:item': {
        const email = emailOf(item);
        const caller = await people.authorize(req, room, 'viewer');
        if (caller.person?.email !== email) await owner(people, req, room);
        await change(people, room, (a) => withoutMember(a, email));
        res.writeHead(204).end();
        return true;
      }
      case 'POST links': {
        const person = await owner(people, req, room);
        const { access } = await readJson(req);
        if (access !== 'view' && access !== 'edit') throw new HttpError(400, 'access must be "view" or "edit"');
        const link = { id: randomBytes(16).toString('base64url'), access, createdBy: person.email, createdAt: new Date().toISOString() } as const;
        await change(people, room, (a) => withLink(a, link));
        return reply(res, 201, { ...link, url: linkUrl(people, room, link.id) });
      }
      case 'DELETE links/:item': {
        await owner(people, req, room);
        const record = await people.access.get(room);
        if (!record?.links.some((l) => l.id === item)) throw new HttpError(404, 'no such link');
        await change(people, room, (a) => withoutLink(a, item!));
        res.writeHead(204).end();
        return true;
      }
      case 'POST links/:item/accept': {
        // Opening a link while signed in: the visitor keeps the link's access until it is revoked.
        const { person } = await people.authorize(req, room, 'signed-in');
        const record = await people.access.get(room);
        if (!record?.links.some((l) => l.id === item)) throw new HttpError(404, 'this link was revoked or never existed');
        const after = await change(people, room, (a) => withLinkVisitor(a, item!, person!.email));
        return reply(res, 200, { room, role: person!.admin ? 'owner' : roleOf(after, person!.email) });
      }
      case 'PUT owner': {
        const { person } = await people.authorize(req, room, 'owner');
        const record = await people.access.get(room);
        if (!person || !record || (record.owner !== person.email && !person.admin)) throw new HttpError(403, "only the board's owner transfers it");
        const email = emailOf((await readJson(req)).email as string);
        await change(people, room, (a) => withOwner(a, email));
        return reply(res, 200, await view(people, room, person, roleOf((await people.access.get(room))!, person.email)));
      }
      default:
        route satisfies never;
        throw new HttpError(404, 'no such route');
    }
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    // Only a signed-in person gets here with NoBoardAccess (nobody signed in is a 401): whom to ask for access.
    const extra = error instanceof NoBoardAccess ? { owner: await ownerOf(people, error.room) } : {};
    sendJson(res, error.status, { error: error.message, ...extra });
    return true;
  }
}

/** The owner of a board (email and name as they last signed in), or null for a board nobody owns yet. */
async function ownerOf(people: People, room: string): Promise<{ email: string; name: string | null } | null> {
  const record = await people.access.get(room);
  if (!record) return null;
  const profiles = await people.sessions.profiles([record.owner]);
  return { email: record.owner, name: profiles[record.owner]?.name ?? null };
}

/** Who has access, as the people dialog shows it; link ids (secrets) only to owners. */
async function view(people: People, room: string, person: Person | null, role: Role | null) {
  const record = await people.access.get(room);
  if (!record) return { room, owner: null, you: role, members: [], links: [] };
  const emails = [...new Set([...Object.keys(record.members), ...Object.keys(record.linkVisitors)])];
  const profiles = await people.sessions.profiles(emails);
  const members = emails.map((email) => ({
    email,
    role: roleOf(record, email),
    via: email in record.members ? 'member' : 'link',
    name: profiles[email]?.name ?? null,
    picture: profiles[email]?.picture ?? null,
    invited: !(email in profiles),
  }));
  const links = role === 'owner' ? record.links.map((l) => ({ ...l, url: linkUrl(people, room, l.id) })) : [];
  return { room, owner: { email: record.owner, name: profiles[record.owner]?.name ?? null }, you: person ? role : null, members, links };
}

async function owner(people: People, req: IncomingMessage, room: string): Promise<Person> {
  const caller = await people.authorize(req, room, 'owner');
  if (!caller.person) throw new HttpError(403, 'managing people needs a signed-in owner');
  return caller.person;
}

async function change(people: People, room: string, fn: (a: BoardAccess) => BoardAccess): Promise<BoardAccess> {
  try {
    const after = await people.changeAccess(room, fn);
    if (!after) throw new HttpError(404, 'no such board');
    return after;
  } catch (error) {
    if (error instanceof AccessRuleError) throw new HttpError(409, error.message);
    throw error;
  }
}

function emailOf(value: string | null): string {
  const email = normalizeEmail(value);
  if (!email) throw new HttpError(400, 'not an email address');
  return email;
}

function linkUrl(people: People, room: string, id: string): string {
  return `${people.publicUrl}/b/${room}?link=${id}`;
}

function reply(res: ServerResponse, status: number, body: unknown): true {
  sendJson(res, status, body);
  return true;
}
