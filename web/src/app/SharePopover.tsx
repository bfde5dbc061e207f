import { useEffect, useState } from 'react'
import { TldrawUiButton } from 'tldraw'
import { absoluteShareUrl, shareLink, type RoomApi } from './roomApi.ts'
import { PeopleDialog } from '../people/PeopleDialog.tsx'
import { usePeople } from '../people/PeopleContext.ts'

/** Props of {@link SharePopover}. */
export interface SharePopoverProps {
  api: RoomApi
  /** Whether the server requires tokens (GET /api/config). */
  authRequired: boolean
  /** This page is view-only: it can hand out only view-only links. */
  viewOnly: boolean
  /** The Scrawl server's origin ('' = this page's). */
  serverUrl: string
  onClose(): void
}

type LinkState = { kind: 'loading' } | { kind: 'ok'; url: string } | { kind: 'error'; message: string } | { kind: 'unavailable'; message: string }

/**
 * The share menu. In sign-in mode it is the people dialog (members, roles, revocable links); in
 * open and token modes it offers an edit link and a view-only link, see {@link LinkSharePopover}.
 */
export function SharePopover(props: SharePopoverProps) {
  const people = usePeople()
  if (people?.room) return <PeopleDialog room={people.room} onClose={props.onClose} />
  return <LinkSharePopover {...props} />
}

/**
 * An edit link and a view-only link, both minted by the server (for the holder of an edit token).
 * Without auth on the server, the view-only link only makes the UI read-only, and the menu says so.
 */
function LinkSharePopover({ api, authRequired, viewOnly, serverUrl, onClose }: SharePopoverProps) {
  const [links, setLinks] = useState<Record<'rw' | 'ro', LinkState>>({ rw: { kind: 'loading' }, ro: { kind: 'loading' } })
  const [copied, setCopied] = useState<'rw' | 'ro' | null>(null)

  useEffect(() => {
    let live = true
    const modes: Array<'rw' | 'ro'> = viewOnly ? ['ro'] : ['rw', 'ro']
    if (viewOnly) setLinks((l) => ({ ...l, rw: { kind: 'unavailable', message: 'Only editors can share an edit link.' } }))
    for (const mode of modes) {
      shareLink(api, mode, authRequired).then(
        (link) => live && setLinks((l) => ({ ...l, [mode]: { kind: 'ok', url: absoluteShareUrl(link, serverUrl, window.location.origin) } })),
        (error: unknown) => live && setLinks((l) => ({ ...l, [mode]: { kind: 'error', message: String((error as Error).message ?? error) } })),
      )
    }
    return () => {
      live = false
    }
  }, [api, authRequired, viewOnly, serverUrl])

  const copy = async (mode: 'rw' | 'ro', url: string) => {
    try {
      await navigator.clipboard.writeText(url)
    } catch {
      // No clipboard permission (e.g. an insecure origin): let the user copy it by hand.
      window.prompt('Copy this link', url)
    }
    setCopied(mode)
    setTimeout(() => setCopied(null), 1500)
  }

  const row = (mode: 'rw' | 'ro', title: string, hint: string) => {
    const state = links[mode]
    return (
      <div className="scrawl-share__row" data-testid={`share-row-${mode}`}>
        <div className="scrawl-share__title">{title}</div>
        <div className="scrawl-share__hint">{hint}</div>
        {state.kind === 'ok' && (
          <div className="scrawl-share__link">
            <input readOnly value={state.url} data-testid={`share-link-${mode}`} onFocus={(e) => e.currentTarget.select()} />
            <TldrawUiButton type="normal" onClick={() => copy(mode, state.url)} data-testid={`share-copy-${mode}`}>
              {copied === mode ? 'Copied' : 'Copy'}
            </TldrawUiButton>
          </div>
        )}
        {state.kind === 'loading' && <div className="scrawl-share__hint">Asking the server for a link…</div>}
        {state.kind === 'unavailable' && <div className="scrawl-share__hint">{state.message}</div>}
        {state.kind === 'error' && (
          <div className="scrawl-share__error" role="alert">
            No link: {state.message}
          </div>
        )}
      </div>
    )
  }

  return (
    <div className="scrawl-popover scrawl-share" role="dialog" aria-label="Share this board" data-testid="share-popover">
      <div className="scrawl-popover__header">
        <strong>Share this board</strong>
        <button className="scrawl-popover__close" onClick={onClose} aria-label="Close">
          ×
        </button>
      </div>
      {row('rw', 'Edit link', 'Anyone with this link can draw on the board.')}
      {row(
        'ro',
        'View-only link',
        authRequired
          ? 'Anyone with this link sees the board live but cannot change it (the server refuses their edits).'
          : 'Opens the board read-only. This server runs without AUTH_SECRET, so this only sets the page to read-only: whoever has the link could still edit by removing "view=1". Set AUTH_SECRET for enforced view-only links.',
      )}
    </div>
  )
}
