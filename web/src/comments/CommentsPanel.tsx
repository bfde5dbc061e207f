import { useState } from 'react'
import { firstMessage, type CommentThread } from '../board/comments.ts'

/** Props of {@link CommentsPanel}. */
export interface CommentsPanelProps {
  /** The board's threads that are still shown (not every message deleted), any page. */
  threads: CommentThread[]
  /** Unread messages of a thread in this browser. */
  unread(thread: CommentThread): number
  /** Names of the board's pages by id, to say where a thread is. */
  pageName(pageId: string): string | null
  /** Moves the camera to the thread's pin and opens it. */
  onJump(thread: CommentThread): void
  onClose(): void
}

/**
 * The board's threads as a list, newest activity first: open ones, and with "Show resolved" the resolved ones too.
 * Picking one jumps to its pin and opens it.
 */
export function CommentsPanel({ threads, unread, pageName, onJump, onClose }: CommentsPanelProps) {
  const [showResolved, setShowResolved] = useState(false)
  const listed = threads.filter((t) => showResolved || !t.resolved).sort((a, b) => b.updatedAt - a.updatedAt)
  const openCount = threads.filter((t) => !t.resolved).length
  return (
    <aside
      className="scrawl-comments-panel"
      data-testid="comments-panel"
      aria-label="Comments"
      onPointerDown={(event) => event.stopPropagation()}
      onKeyDown={(event) => event.stopPropagation()}
    >
      <header className="scrawl-comments-panel__header">
        <strong>Comments</strong>
        <span className="scrawl-comments-panel__count">{openCount} open</span>
        <button aria-label="Close comments" onClick={onClose}>×</button>
      </header>
      <label className="scrawl-comments-panel__filter">
        <input type="checkbox" data-testid="comments-show-resolved" checked={showResolved} onChange={(e) => setShowResolved(e.target.checked)} />
        Show resolved
      </label>
      {listed.length === 0 ? (
        <p className="scrawl-comments-panel__empty">{threads.length === 0 ? 'No comments yet.' : 'No open comments.'}</p>
      ) : (
        <ul className="scrawl-comments-panel__list">
          {listed.map((thread) => {
            const first = firstMessage(thread)
            const replies = thread.messages.filter((m) => !m.deleted).length - (first && !first.deleted ? 1 : 0)
            const count = unread(thread)
            const page = pageName(thread.pageId)
            return (
              <li key={thread.id}>
                <button
                  className="scrawl-comments-panel__item"
                  data-testid="comments-panel-item"
                  data-thread-id={thread.id}
                  data-resolved={thread.resolved ? 'true' : undefined}
                  onClick={() => onJump(thread)}
                >
                  <span className="scrawl-comments-panel__author">
                    {first?.authorName || 'Someone'}
                    {count > 0 && <span className="scrawl-comments-badge" data-testid="comments-panel-unread">{count}</span>}
                  </span>
                  <span className="scrawl-comments-panel__excerpt">{first && !first.deleted ? first.text : 'Message deleted'}</span>
                  <span className="scrawl-comments-panel__meta">
                    {replies === 1 ? '1 reply' : `${replies} replies`}
                    {thread.resolved ? ' · resolved' : ''}
                    {page ? ` · ${page}` : ''}
                  </span>
                </button>
              </li>
            )
          })}
        </ul>
      )}
    </aside>
  )
}
