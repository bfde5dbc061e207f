import { useEffect, useMemo, useState } from 'react'
import { useValue, type Editor } from 'tldraw'
import type { CommentAuthor } from '../board/comments.ts'

/**
 * Who writes comments here: the presence name (what others see on this person's cursor), and as the id the
 * signed-in identity (the email `/api/me` answers in sign-in mode) or else this browser's tldraw user id. `myIds`
 * holds both, so messages written before signing in still count as one's own in this browser.
 */
export function useCommentAuthor(editor: Editor, serverUrl: string): { author: CommentAuthor; myIds: ReadonlySet<string> } {
  const name = useValue('comment author name', () => editor.user.getName(), [editor])
  const userId = useValue('comment author id', () => editor.user.getRecordId(), [editor])
  const email = useSignedInEmail(serverUrl)
  return useMemo(
    () => ({
      author: { id: email ?? userId, name: name.trim() || 'Someone' },
      myIds: new Set(email ? [email, userId] : [userId]),
    }),
    [name, userId, email],
  )
}

/** The signed-in person's email, or null (open and token mode answer 404 or no person; offline: no answer). */
function useSignedInEmail(serverUrl: string): string | null {
  const [email, setEmail] = useState<string | null>(null)
  useEffect(() => {
    let live = true
    fetch(`${serverUrl.replace(/\/+$/, '')}/api/me`, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then((response) => (response.ok ? response.json() : null))
      .then((body: { person?: { email?: unknown } } | null) => {
        const value = body?.person?.email
        if (live && typeof value === 'string') setEmail(value)
      })
      .catch(() => {
        // Offline or no such route: the browser's own id stands.
      })
    return () => {
      live = false
    }
  }, [serverUrl])
  return email
}
