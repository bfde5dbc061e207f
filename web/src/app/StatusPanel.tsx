import type { Dispatch, SetStateAction } from 'react'
import { TldrawUiButton, useTldrawUiComponents, useValue } from 'tldraw'
import type { ConnectionStatus } from '../sync/connection.ts'
import type { ViewOnlyReason } from './access.ts'
import type { RoomBoard } from './useRoomBoard.ts'
import { PersonMenu } from '../people/PersonMenu.tsx'

const LABELS: Record<ConnectionStatus['state'], string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  denied: 'Access denied',
}

/** Which of the panels (if any) is open. */
export type OpenPanel = 'share' | 'history' | null

/** Props of {@link StatusPanel}. */
export interface StatusPanelProps {
  board: RoomBoard
  viewOnly: ViewOnlyReason
  setOpenPanel: Dispatch<SetStateAction<OpenPanel>>
  /** Show the share button (false in the React component when the host app shares its own way). */
  share: boolean
}

/**
 * Top-right corner: where the link to the server stands, tldraw's people menu (names, colours,
 * follow), the version history and the share menu.
 */
export function StatusPanel({ board, viewOnly, setOpenPanel, share }: StatusPanelProps) {
  const { PeopleMenu } = useTldrawUiComponents()
  const status = useValue('status', () => board.connection.status.get(), [board])
  const pending = status.unsyncedChanges > 0 && status.state !== 'connected'
  const toggle = (panel: Exclude<OpenPanel, null>) => setOpenPanel((open) => (open === panel ? null : panel))
  const readOnly = viewOnly !== null || status.readonly
  return (
    <div className="scrawl-status-panel tlui-share-zone" draggable={false}>
      <span className={`scrawl-status scrawl-status--${status.state}`} data-testid="connection-status" data-state={status.state} data-unsynced={status.unsyncedChanges} role="status">
        <span className="scrawl-status__dot" aria-hidden />
        {LABELS[status.state]}
        {readOnly ? ' · view only' : ''}
        {pending ? ` · ${status.unsyncedChanges} unsynced` : ''}
      </span>
      {PeopleMenu && <PeopleMenu />}
      <TldrawUiButton type="normal" onClick={() => toggle('history')} data-testid="history-button" title="Version history">
        History
      </TldrawUiButton>
      {share && (
        <TldrawUiButton type="normal" onClick={() => toggle('share')} data-testid="share-button">
          Share
        </TldrawUiButton>
      )}
      <PersonMenu />
    </div>
  )
}
