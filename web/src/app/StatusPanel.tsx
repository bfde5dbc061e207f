import { useState } from 'react'
import { TldrawUiButton, useTldrawUiComponents, useValue } from 'tldraw'
import type { ConnectionStatus } from '../sync/connection.ts'
import type { RoomBoard } from './useRoomBoard.ts'
import { boardPath } from './route.ts'

const LABELS: Record<ConnectionStatus['state'], string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  denied: 'Access denied',
}

/**
 * Top-right corner: where the link to the server stands, tldraw's people menu (names, colours,
 * follow), and a button that copies the board's link.
 */
export function StatusPanel({ board }: { board: RoomBoard }) {
  const { PeopleMenu } = useTldrawUiComponents()
  const status = useValue('status', () => board.connection.status.get(), [board])
  const [copied, setCopied] = useState(false)
  const share = async () => {
    const url = new URL(boardPath(board.room), window.location.origin).toString()
    try {
      await navigator.clipboard.writeText(url)
    } catch {
      // No clipboard permission (e.g. an insecure origin): let the user copy it by hand.
      window.prompt('Copy this link to share the board', url)
    }
    setCopied(true)
    setTimeout(() => setCopied(false), 1500)
  }
  const pending = status.unsyncedChanges > 0 && status.state !== 'connected'
  return (
    <div className="scrawl-status-panel tlui-share-zone" draggable={false}>
      <span className={`scrawl-status scrawl-status--${status.state}`} data-testid="connection-status" data-state={status.state} data-unsynced={status.unsyncedChanges} role="status">
        <span className="scrawl-status__dot" aria-hidden />
        {LABELS[status.state]}
        {status.readonly ? ' · read-only' : ''}
        {pending ? ` · ${status.unsyncedChanges} unsynced` : ''}
      </span>
      {PeopleMenu && <PeopleMenu />}
      <TldrawUiButton type="normal" onClick={share} data-testid="share-button">
        {copied ? 'Link copied' : 'Share'}
      </TldrawUiButton>
    </div>
  )
}
