/**
 * `GET /api/rooms/:room/comments`: a board's comment threads as JSON (docs/protocol.md, "Comments"), read from the
 * live document (loaded from the store if nobody is connected). The threads live in the document's `comments` map
 * (docs/document-schema.md); the web app writes them, any Yjs client may. This module only reads, and reads
 * defensively: the map is written by clients, so a thread or message that does not have the documented shape is left
 * out rather than failing the whole answer.
 */
import type { ServerResponse } from 'node:http';
import type { Hocuspocus } from '@hocuspocus/server';
import * as Y from 'yjs';
import { withRoomDocument } from '../sync/hocuspocus.ts';
import { sendJson } from './http-util.ts';

/** Name of the document's root map of comment threads (web/src/board/comments.ts writes it). */
export const COMMENTS_KEY = 'comments';

/** Who wrote or resolved something, as the writing client named them. */
export interface CommentAuthorJson {
  id: string;
  name: string;
}

/** One message of a thread in the API's answer. */
export interface CommentMessageJson {
  id: string;
  authorId: string;
  authorName: string;
  /** '' for a deleted message. */
  text: string;
  createdAt: number;
  editedAt: number | null;
  deleted: boolean;
}

/** One thread in the API's answer. */
export interface CommentThreadJson {
  id: string;
  pageId: string;
  /** `{ type: 'shape', shapeId, x, y, pageX, pageY }` or `{ type: 'point', x, y, detachedFrom? }`. */
  anchor: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  createdBy: CommentAuthorJson;
  resolved: { at: number; by: CommentAuthorJson } | null;
  messages: CommentMessageJson[];
}

/** Answers the comments route: `{ threads }`, threads with at least one message left, oldest first. */
export async function serveComments(res: ServerResponse, hocuspocus: Hocuspocus, room: string): Promise<void> {
  const threads = await withRoomDocument(hocuspocus, room, (doc) => readCommentThreads(doc));
  sendJson(res, 200, { threads });
}

/** The document's comment threads as JSON: every readable thread that still has a message not deleted, oldest first. */
export function readCommentThreads(doc: Y.Doc): CommentThreadJson[] {
  const threads: CommentThreadJson[] = [];
  for (const [id, value] of doc.getMap<unknown>(COMMENTS_KEY)) {
    const thread = value instanceof Y.Map ? parseThread(id, value.toJSON() as Record<string, unknown>) : null;
    if (thread && thread.messages.some((m) => !m.deleted)) threads.push(thread);
  }
  return threads.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseAuthor(value: unknown): CommentAuthorJson | null {
  return isObject(value) && isString(value.id) && isString(value.name) ? { id: value.id, name: value.name } : null;
}

function parseThread(id: string, t: Record<string, unknown>): CommentThreadJson | null {
  const createdBy = parseAuthor(t.createdBy);
  if (!isString(t.pageId) || !isObject(t.anchor) || !isNumber(t.createdAt) || !createdBy || !Array.isArray(t.messages)) return null;
  const resolvedBy = isObject(t.resolved) ? parseAuthor(t.resolved.by) : null;
  const resolved = isObject(t.resolved) && resolvedBy && isNumber(t.resolved.at) ? { at: t.resolved.at, by: resolvedBy } : null;
  const messages: CommentMessageJson[] = [];
  for (const m of t.messages) {
    if (!isObject(m) || !isString(m.id) || !isString(m.authorId) || !isNumber(m.createdAt)) continue;
    const deleted = m.deleted === true;
    messages.push({
      id: m.id,
      authorId: m.authorId,
      authorName: isString(m.authorName) ? m.authorName : '',
      text: deleted || !isString(m.text) ? '' : m.text,
      createdAt: m.createdAt,
      editedAt: isNumber(m.editedAt) ? m.editedAt : null,
      deleted,
    });
  }
  return {
    id,
    pageId: t.pageId,
    anchor: t.anchor,
    createdAt: t.createdAt,
    updatedAt: isNumber(t.updatedAt) ? t.updatedAt : t.createdAt,
    createdBy,
    resolved,
    messages,
  };
}
