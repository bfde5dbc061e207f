import { useEffect, useMemo, useState } from 'react'
import { Tldraw, useValue, type TLComponents } from 'tldraw'
import 'tldraw/tldraw.css'
import { tldrawAssetUrls } from './assetUrls.ts'
import { BoardMenu } from './BoardMenu.tsx'
import { loadConfig, type AppConfig } from './config.ts'
import { mountBoard } from './mountBoard.ts'
import type { EmbedOptions } from './route.ts'
import { StatusPanel } from './StatusPanel.tsx'
import { useRoomBoard } from './useRoomBoard.ts'

/** Props of {@link BoardPage}. */
export interface BoardPageProps {
  room: string
  token: string | null
  /** Set for `/embed/:room`: no app chrome, options from the query. */
  embed: EmbedOptions | null
}

/** One board, full screen: `/b/:room`, or `/embed/:room` for iframes. */
export function BoardPage({ room, token, embed }: BoardPageProps) {
  const [config, setConfig] = useState<AppConfig | null>(null)
  useEffect(() => void loadConfig().then(setConfig), [])
  const board = useRoomBoard(room, token)
  const bindingState = useValue('binding state', () => board?.binding.state.get(), [board])

  const components = useMemo<TLComponents>(
    () =>
      embed
        ? { SharePanel: null, MainMenu: null, PageMenu: null, HelpMenu: null, DebugMenu: null, DebugPanel: null }
        : { SharePanel: () => (board ? <StatusPanel board={board} /> : null), MainMenu: BoardMenu },
    [embed, board],
  )

  if (!board || !config) return <p className="scrawl-message">Opening board…</p>
  return (
    <div className="scrawl-board">
      {bindingState?.kind === 'needs-reload' && (
        <div className="scrawl-banner" role="alert" data-testid="needs-reload">
          {bindingState.reason} <button onClick={() => window.location.reload()}>Reload</button>
        </div>
      )}
      <Tldraw
        key={room}
        store={board.store}
        licenseKey={config.tldrawLicenseKey ?? undefined}
        assetUrls={tldrawAssetUrls}
        components={components}
        hideUi={embed?.minimalUi ?? false}
        colorScheme={embed?.theme ?? undefined}
        onMount={(editor) => mountBoard(editor, board, { forceReadonly: embed?.readonly ?? false })}
      />
    </div>
  )
}
