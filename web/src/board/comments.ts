import * as Y from 'yjs'
import { isCommentAnchor, type CommentAnchor, type Point } from './commentsAnchor.ts'

/**
 * Comment threads, kept in the board's Y.Doc so that they sync, work offline, survive restarts and travel
 * in versions and backups like everything else on the board. docs/document-schema.md ("Comments") is the
 * long form of this layout; change both together.
 *
 *   doc.getMap('comments')  thread id -> Y.Map {
 *     id, pageId, anchor (JSON, commentsAnchor.ts), createdAt, updatedAt,
 *     createdBy: { id, name },
 *     resolved: null | { at, by: { id, name } },
 *     messages: Y.Array<Y.Map { id, authorId, authorName, text, createdAt, editedAt, deleted }>
 *   }
 *
 * Each thread and each message is its own Y.Map so that concurrent changes merge: two replies at once are
 * both kept, an edit of one message never touches another, and resolving while someone replies keeps both.
 * Nothing is ever removed: deleting a message blanks its text and marks it deleted (a reply being written
 * to it elsewhere would otherwise vanish), and a thread whose messages are all deleted is no longer shown.
 *
 * "Your own" is judged on this client by author id: the document is shared by everyone who may edit the
 * board, and the server does not enforce comment ownership (docs/document-schema.md says so).
 */

/** Name of the top-level Y.Map holding comment threads by id. */
export const COMMENTS_KEY = 'comments'

/** Longest message text kept, in JavaScript characters; longer text is cut before writing. */
export const MAX_COMMENT_LENGTH = 10_000

/** Who wrote something: a stable id (the signed-in email, else this browser's tldraw user id) and a display name. */
export interface CommentAuthor {
  id: string
  name: string
}

/** One message of a thread, as read from the document. */
export interface CommentMessage {
  id: string
  authorId: string
  authorName: string
  /** Plain text; '' once deleted. */
  text: string
  /** Milliseconds since the epoch, the writer's clock. */
  createdAt: number
  /** When the text was last edited, or null. */
  editedAt: number | null
  deleted: boolean
}

/** A thread's resolution: when and by whom, or null while open. */
export type CommentResolution = { at: number; by: CommentAuthor } | null

/** One thread, as read from the document. */
export interface CommentThread {
  id: string
  pageId: string
  anchor: CommentAnchor
  createdAt: number
  /** Last change of anything in the thread (a message, an edit, a resolve), the writer's clock. */
  updatedAt: number
  createdBy: CommentAuthor
  resolved: CommentResolution
  messages: CommentMessage[]
}

/** Options shared by every change: who makes it, when (default: now) and the Yjs transaction origin. */
export interface CommentChange {
  author: CommentAuthor
  now?: number
  origin?: unknown
}

/** The board's comment threads: thread id -> Y.Map. */
export function commentsMap(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap(COMMENTS_KEY)
}

/** A fresh id for a thread or message: 12 characters of [a-z0-9], safe in URLs (`?comment=ID`). */
export function newCommentId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12))
  return Array.from(bytes, (b) => (b % 36).toString(36)).join('')
}

/** Ids of threads as they appear in `?comment=` links: what {@link newCommentId} makes, and a little more. */
export const COMMENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/

/** Creates a thread with its first message; returns the thread id. Throws on empty text. */
export function createThread(
  doc: Y.Doc,
  options: CommentChange & { pageId: string; anchor: CommentAnchor; text: string; id?: string },
): string {
  const text = cleanText(options.text)
  const now = options.now ?? Date.now()
  const id = options.id ?? newCommentId()
  doc.transact(() => {
    const thread = new Y.Map<unknown>()
    // Set on the detached map first so the thread arrives everywhere complete, in one update.
    thread.set('id', id)
    thread.set('pageId', options.pageId)
    thread.set('anchor', options.anchor)
    thread.set('createdAt', now)
    thread.set('updatedAt', now)
    thread.set('createdBy', { ...options.author })
    thread.set('resolved', null)
    const messages = new Y.Array<Y.Map<unknown>>()
    messages.push([newMessage(options.author, text, now)])
    thread.set('messages', messages)
    commentsMap(doc).set(id, thread)
  }, options.origin)
  return id
}

/** Adds a reply to a thread; returns its id, or null when there is no such thread. Throws on empty text. */
export function reply(doc: Y.Doc, threadId: string, options: CommentChange & { text: string }): string | null {
  const text = cleanText(options.text)
  const thread = threadMap(doc, threadId)
  const messages = thread?.get('messages')
  if (!thread || !(messages instanceof Y.Array)) return null
  const now = options.now ?? Date.now()
  const message = newMessage(options.author, text, now)
  doc.transact(() => {
    messages.push([message])
    thread.set('updatedAt', now)
  }, options.origin)
  return message.get('id') as string
}

/** Changes the text of one's own message. False when it is not the author's, is deleted or does not exist. */
export function editMessage(doc: Y.Doc, threadId: string, messageId: string, options: CommentChange & { text: string }): boolean {
  const text = cleanText(options.text)
  const found = ownMessage(doc, threadId, messageId, options.author)
  if (!found) return false
  const now = options.now ?? Date.now()
  doc.transact(() => {
    found.message.set('text', text)
    found.message.set('editedAt', now)
    found.thread.set('updatedAt', now)
  }, options.origin)
  return true
}

/** Deletes one's own message (blanked and marked, see the module comment). False when not allowed or absent. */
export function deleteMessage(doc: Y.Doc, threadId: string, messageId: string, options: CommentChange): boolean {
  const found = ownMessage(doc, threadId, messageId, options.author)
  if (!found) return false
  const now = options.now ?? Date.now()
  doc.transact(() => {
    found.message.set('deleted', true)
    found.message.set('text', '')
    found.thread.set('updatedAt', now)
  }, options.origin)
  return true
}

/** Marks a thread resolved by `author` (anyone may resolve). False when there is no such thread. */
export function resolveThread(doc: Y.Doc, threadId: string, options: CommentChange): boolean {
  return setResolution(doc, threadId, options, { at: options.now ?? Date.now(), by: { ...options.author } })
}

/** Opens a resolved thread again. False when there is no such thread. */
export function reopenThread(doc: Y.Doc, threadId: string, options: CommentChange): boolean {
  return setResolution(doc, threadId, options, null)
}

/**
 * Moves a thread's pin (dragged by anyone who may edit the board): its new anchor on page `pageId`, a shape's spot or
 * a point of the page. Two people dragging the same pin at once end with one of the two moves, anchor and page
 * together (both set both keys, and Yjs settles both keys between the same two writers alike). False when there is
 * no such thread.
 */
export function moveThread(doc: Y.Doc, threadId: string, options: { pageId: string; anchor: CommentAnchor; origin?: unknown }): boolean {
  const thread = threadMap(doc, threadId)
  if (!thread) return false
  doc.transact(() => {
    thread.set('anchor', options.anchor)
    thread.set('pageId', options.pageId)
  }, options.origin)
  return true
}

/**
 * After shapes were deleted here: every thread pinned to one of them becomes a point thread where its pin
 * last was (`lastPinPoint`, computed before the deletion), remembering the shape so that an undo puts it back
 * on. One transaction; returns the ids of the threads changed.
 */
export function detachThreadsFromShapes(
  doc: Y.Doc,
  deletedShapeIds: ReadonlySet<string>,
  lastPinPoint: (threadId: string, anchor: CommentAnchor) => Point,
  origin?: unknown,
): string[] {
  const changed: string[] = []
  doc.transact(() => {
    for (const [threadId, value] of commentsMap(doc)) {
      if (!(value instanceof Y.Map)) continue
      const anchor = value.get('anchor')
      if (!isCommentAnchor(anchor) || anchor.type !== 'shape' || !deletedShapeIds.has(anchor.shapeId)) continue
      const at = lastPinPoint(threadId, anchor)
      value.set('anchor', { type: 'point', x: at.x, y: at.y, detachedFrom: { shapeId: anchor.shapeId, x: anchor.x, y: anchor.y } })
      changed.push(threadId)
    }
  }, origin)
  return changed
}

/** One thread as plain data, or null when it is absent or not readable (a foreign writer's junk is skipped). */
export function readThread(doc: Y.Doc, threadId: string): CommentThread | null {
  const value = commentsMap(doc).get(threadId)
  return value instanceof Y.Map ? parseThread(threadId, value) : null
}

/** Every readable thread, deleted ones included, oldest first. */
export function readThreads(doc: Y.Doc): CommentThread[] {
  const threads: CommentThread[] = []
  for (const [id, value] of commentsMap(doc)) {
    const thread = value instanceof Y.Map ? parseThread(id, value) : null
    if (thread) threads.push(thread)
  }
  return threads.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
}

/** A thread is shown while at least one of its messages is not deleted. */
export function isThreadVisible(thread: CommentThread): boolean {
  return thread.messages.some((m) => !m.deleted)
}

/** The thread's opening message (deleted or not), or null for a thread without messages. */
export function firstMessage(thread: CommentThread): CommentMessage | null {
  return thread.messages[0] ?? null
}

/** Whether `author` may edit and delete `message`. */
export function isOwnMessage(message: CommentMessage, author: CommentAuthor): boolean {
  return !message.deleted && message.authorId === author.id
}

function cleanText(text: string): string {
  const trimmed = text.trim().slice(0, MAX_COMMENT_LENGTH)
  if (trimmed === '') throw new Error('a comment needs some text')
  return trimmed
}

function newMessage(author: CommentAuthor, text: string, now: number): Y.Map<unknown> {
  const message = new Y.Map<unknown>()
  message.set('id', newCommentId())
  message.set('authorId', author.id)
  message.set('authorName', author.name)
  message.set('text', text)
  message.set('createdAt', now)
  message.set('editedAt', null)
  message.set('deleted', false)
  return message
}

function threadMap(doc: Y.Doc, threadId: string): Y.Map<unknown> | null {
  const value = commentsMap(doc).get(threadId)
  return value instanceof Y.Map ? value : null
}

function ownMessage(doc: Y.Doc, threadId: string, messageId: string, author: CommentAuthor) {
  const thread = threadMap(doc, threadId)
  const messages = thread?.get('messages')
  if (!thread || !(messages instanceof Y.Array)) return null
  for (const message of messages) {
    if (!(message instanceof Y.Map) || message.get('id') !== messageId) continue
    if (message.get('authorId') !== author.id || message.get('deleted') === true) return null
    return { thread, message: message as Y.Map<unknown> }
  }
  return null
}

function setResolution(doc: Y.Doc, threadId: string, options: CommentChange, resolved: CommentResolution): boolean {
  const thread = threadMap(doc, threadId)
  if (!thread) return false
  // One key for flag, who and when: concurrent resolve and reopen then settle on one writer's whole value.
  doc.transact(() => {
    thread.set('resolved', resolved)
    thread.set('updatedAt', options.now ?? Date.now())
  }, options.origin)
  return true
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
const isString = (v: unknown): v is string => typeof v === 'string'

function parseAuthor(value: unknown): CommentAuthor | null {
  if (typeof value !== 'object' || value === null) return null
  const { id, name } = value as Record<string, unknown>
  return isString(id) && isString(name) ? { id, name } : null
}

function parseThread(id: string, map: Y.Map<unknown>): CommentThread | null {
  const pageId = map.get('pageId')
  const anchor = map.get('anchor')
  const createdAt = map.get('createdAt')
  const createdBy = parseAuthor(map.get('createdBy'))
  const list = map.get('messages')
  if (!isString(pageId) || !isCommentAnchor(anchor) || !isNumber(createdAt) || !createdBy || !(list instanceof Y.Array)) return null
  const updatedAt = map.get('updatedAt')
  const resolvedValue = map.get('resolved') as { at?: unknown; by?: unknown } | null | undefined
  const resolvedBy = resolvedValue ? parseAuthor(resolvedValue.by) : null
  const resolved = resolvedValue && resolvedBy && isNumber(resolvedValue.at) ? { at: resolvedValue.at, by: resolvedBy } : null
  const messages: CommentMessage[] = []
  for (const item of list) {
    if (!(item instanceof Y.Map)) continue
    const m = item.toJSON() as Record<string, unknown>
    if (!isString(m.id) || !isString(m.authorId) || !isNumber(m.createdAt)) continue
    const deleted = m.deleted === true
    messages.push({
      id: m.id,
      authorId: m.authorId,
      authorName: isString(m.authorName) ? m.authorName : '',
      text: deleted || !isString(m.text) ? '' : m.text,
      createdAt: m.createdAt,
      editedAt: isNumber(m.editedAt) ? m.editedAt : null,
      deleted,
    })
  }
  return { id, pageId, anchor, createdAt, updatedAt: isNumber(updatedAt) ? updatedAt : createdAt, createdBy, resolved, messages }
}
