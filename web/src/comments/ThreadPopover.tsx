import { useEffect, useRef, useState, type KeyboardEvent } from 'react'
import type * as Y from 'yjs'
import {
  createThread,
  deleteMessage,
  editMessage,
  isOwnMessage,
  reopenThread,
  reply,
  resolveThread,
  type CommentAuthor,
  type CommentMessage,
  type CommentThread,
} from '../board/comments.ts'
import type { CommentAnchor } from '../board/commentsAnchor.ts'

/** A pin dropped but not yet posted: where it goes, until its first message is sent. */
export interface CommentDraft {
  anchor: CommentAnchor
  pageId: string
}

/** Props of {@link ThreadPopover}. */
export interface ThreadPopoverProps {
  doc: Y.Doc
  /** The thread shown; null while composing a new one from `draft`. */
  thread: CommentThread | null
  draft: CommentDraft | null
  author: CommentAuthor
  /** View-only boards show threads but offer no writing. */
  readonly: boolean
  /** The thread's shareable address (deepLink.ts), or null for a draft. */
  link: string | null
  /** Where the popover's top-left corner goes, in the editor container's pixels. */
  position: { left: number; top: number }
  /** A draft was posted and became this thread. */
  onCreated(threadId: string): void
  onClose(): void
}

/**
 * One thread beside its pin: its messages (with edit and delete on your own), a reply box, resolve or reopen, and
 * "copy link". For a draft, only the box for the first message. Keys typed here stay here: tldraw's shortcuts must
 * not fire while someone writes a comment.
 */
export function ThreadPopover(props: ThreadPopoverProps) {
  const { doc, thread, draft, author, readonly, link, position, onCreated, onClose } = props
  const [text, setText] = useState('')
  const [copied, setCopied] = useState(false)
  const input = useRef<HTMLTextAreaElement>(null)
  const threadId = thread?.id ?? null
  useEffect(() => {
    setText('')
    if (!readonly) input.current?.focus()
  }, [threadId, readonly])

  const send = () => {
    if (text.trim() === '') return
    if (thread) reply(doc, thread.id, { author, text })
    else if (draft) onCreated(createThread(doc, { pageId: draft.pageId, anchor: draft.anchor, author, text }))
    setText('')
  }
  const onKeyDown = (event: KeyboardEvent) => {
    event.stopPropagation()
    if (event.key === 'Escape') onClose()
  }
  const copyLink = async () => {
    if (!link) return
    try {
      await navigator.clipboard.writeText(link)
      setCopied(true)
      setTimeout(() => setCopied(false), 1500)
    } catch {
      // No clipboard permission (or not a secure context): let the person copy it by hand.
      window.prompt('Link to this comment', link)
    }
  }

  return (
    <div
      className="scrawl-comment-popover"
      role="dialog"
      aria-label={thread ? 'Comment thread' : 'New comment'}
      data-testid="comment-popover"
      data-thread-id={threadId ?? undefined}
      data-resolved={thread?.resolved ? 'true' : undefined}
      style={{ left: position.left, top: position.top }}
      onKeyDown={onKeyDown}
      onPointerDown={(event) => event.stopPropagation()}
    >
      <div className="scrawl-comment-popover__header">
        <span className="scrawl-comment-popover__title">
          {thread ? (thread.resolved ? `Resolved by ${thread.resolved.by.name}` : 'Comment') : 'New comment'}
        </span>
        {thread && !readonly && (
          thread.resolved ? (
            <button data-testid="comment-reopen" onClick={() => reopenThread(doc, thread.id, { author })}>Reopen</button>
          ) : (
            <button data-testid="comment-resolve" onClick={() => resolveThread(doc, thread.id, { author })}>Resolve</button>
          )
        )}
        {link && (
          <button data-testid="comment-copy-link" data-link={link} onClick={() => void copyLink()}>
            {copied ? 'Copied' : 'Copy link'}
          </button>
        )}
        <button className="scrawl-comment-popover__close" data-testid="comment-close" aria-label="Close" onClick={onClose}>×</button>
      </div>
      {thread && (
        <ol className="scrawl-comment-popover__messages">
          {thread.messages.map((message) => (
            <Message key={message.id} doc={doc} threadId={thread.id} message={message} author={author} readonly={readonly} />
          ))}
        </ol>
      )}
      {!readonly && (
        <div className="scrawl-comment-popover__composer">
          <textarea
            ref={input}
            data-testid="comment-input"
            rows={2}
            value={text}
            placeholder={thread ? 'Reply…' : 'Add a comment…'}
            aria-label={thread ? 'Reply' : 'Comment'}
            onChange={(event) => setText(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter' && !event.shiftKey) {
                event.preventDefault()
                send()
              }
            }}
          />
          <button data-testid="comment-send" disabled={text.trim() === ''} onClick={send}>
            {thread ? 'Reply' : 'Comment'}
          </button>
        </div>
      )}
    </div>
  )
}

function Message(props: { doc: Y.Doc; threadId: string; message: CommentMessage; author: CommentAuthor; readonly: boolean }) {
  const { doc, threadId, message, author, readonly } = props
  const [editing, setEditing] = useState<string | null>(null)
  const own = !readonly && isOwnMessage(message, author)
  const save = () => {
    if (editing !== null && editing.trim() !== '') editMessage(doc, threadId, message.id, { author, text: editing })
    setEditing(null)
  }
  return (
    <li className="scrawl-comment-message" data-testid="comment-message" data-message-id={message.id} data-author={message.authorName}>
      <div className="scrawl-comment-message__meta">
        <strong>{message.authorName || 'Someone'}</strong>
        <time dateTime={new Date(message.createdAt).toISOString()}>{formatTime(message.createdAt)}</time>
        {message.editedAt !== null && !message.deleted && <span className="scrawl-comment-message__edited">(edited)</span>}
      </div>
      {message.deleted ? (
        <p className="scrawl-comment-message__deleted">Message deleted</p>
      ) : editing !== null ? (
        <div className="scrawl-comment-message__edit">
          <textarea
            data-testid="comment-edit-input"
            autoFocus
            rows={2}
            value={editing}
            onChange={(event) => setEditing(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter' && !event.shiftKey) {
                event.preventDefault()
                save()
              } else if (event.key === 'Escape') {
                event.stopPropagation()
                setEditing(null)
              }
            }}
          />
          <button data-testid="comment-save" onClick={save}>Save</button>
          <button onClick={() => setEditing(null)}>Cancel</button>
        </div>
      ) : (
        <p className="scrawl-comment-message__text" data-testid="comment-text">{message.text}</p>
      )}
      {own && editing === null && (
        <div className="scrawl-comment-message__actions">
          <button data-testid="comment-edit" onClick={() => setEditing(message.text)}>Edit</button>
          <button data-testid="comment-delete" onClick={() => deleteMessage(doc, threadId, message.id, { author })}>Delete</button>
        </div>
      )}
    </li>
  )
}

/** A message's time: the clock time today, else the date and time. */
function formatTime(ms: number): string {
  const date = new Date(ms)
  const today = new Date().toDateString() === date.toDateString()
  return today
    ? date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })
}
