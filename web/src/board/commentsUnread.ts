import type { CommentMessage, CommentThread } from './comments.ts'

/**
 * Unread comments, per browser. What was seen is kept per board in localStorage as, per thread, the versions
 * of its messages this browser showed (`messageId@editedAt-or-createdAt`). Versions rather than a time: the
 * messages' times come from their writers' clocks, and a reply from a machine whose clock runs late must not
 * pass as already seen. A message is unread when someone else wrote it, it is not deleted, and this version
 * of it was not seen (so an edit counts as new).
 */

/** The part of the Web Storage API this needs (localStorage in the app). */
export interface SeenStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

/** Where a board's seen versions live in the storage. */
export function seenStorageKey(room: string): string {
  return `scrawl:comments-seen:${room}`
}

/** The version of a message that seeing it covers. */
export function messageVersion(message: CommentMessage): string {
  return `${message.id}@${message.editedAt ?? message.createdAt}`
}

/** How many of the thread's messages are unread for someone whose author ids are `myIds`. */
export function unreadCount(thread: CommentThread, seen: ReadonlySet<string>, myIds: ReadonlySet<string>): number {
  let count = 0
  for (const message of thread.messages) {
    if (!message.deleted && !myIds.has(message.authorId) && !seen.has(messageVersion(message))) count++
  }
  return count
}

/** Unread tracking of one board in one browser. */
export interface UnreadTracker {
  /** Unread messages in `thread`. */
  count(thread: CommentThread): number
  /** Marks every current message of `thread` seen (the thread was shown). */
  markSeen(thread: CommentThread): void
}

/**
 * Unread tracking for `room` over `storage`. `myIds` are the ids this person writes as (a signed-in email and
 * this browser's user id): their own messages are never unread. A storage that throws (private mode, quota)
 * leaves tracking in memory for this tab.
 */
export function createUnreadTracker(room: string, storage: SeenStorage | null, myIds: () => ReadonlySet<string>): UnreadTracker {
  const key = seenStorageKey(room)
  let seenByThread: Record<string, string[]> = {}
  try {
    const stored = JSON.parse(storage?.getItem(key) ?? '{}') as unknown
    if (stored && typeof stored === 'object' && !Array.isArray(stored)) seenByThread = stored as Record<string, string[]>
  } catch {
    // Unreadable (hand-edited, another version): start afresh rather than fail the board.
  }
  const seenOf = (threadId: string) => new Set(Array.isArray(seenByThread[threadId]) ? seenByThread[threadId] : [])
  return {
    count: (thread) => unreadCount(thread, seenOf(thread.id), myIds()),
    markSeen(thread) {
      const versions = thread.messages.filter((m) => !m.deleted).map(messageVersion)
      const before = seenByThread[thread.id]
      if (before && before.length === versions.length && before.every((v, i) => v === versions[i])) return
      seenByThread = { ...seenByThread, [thread.id]: versions }
      try {
        storage?.setItem(key, JSON.stringify(seenByThread))
      } catch {
        // Full or refused storage: this tab still remembers; other tabs will show it unread.
      }
    },
  }
}
