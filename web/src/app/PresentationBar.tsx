import { createContext, useContext } from 'react'
import { TldrawUiMenuGroup, TldrawUiMenuItem, useValue } from 'tldraw'
import type { PresentationController } from './presentationController.ts'

/** The board tab's presentation controller (BoardPage provides it once the editor is mounted); null in embeds. */
export const PresentationContext = createContext<PresentationController | null>(null)

/**
 * The bar at the top of the board while a presentation is on: the presenter sees "Presenting", the slide number,
 * previous/next and Stop; everyone else sees who presents and a Leave button (or Follow, once they left), so being
 * moved around the board is always visible and always escapable.
 */
export function PresentationBar() {
  const controller = useContext(PresentationContext)
  const view = useValue('presentation view', () => controller?.view.get() ?? null, [controller])
  if (!controller || !view?.presenter) return null
  if (view.presenting) {
    return (
      <div className="scrawl-presentation" role="status" data-testid="presentation-bar" data-state="presenting">
        <span className="scrawl-presentation__label">Presenting</span>
        {view.slideCount > 0 && (
          <>
            <button onClick={controller.previous} aria-label="Previous frame" title="Previous frame (←)">‹</button>
            <span className="scrawl-presentation__slide" data-testid="presentation-slide">{view.slideLabel || `${view.slideCount} frames`}</span>
            <button onClick={controller.next} aria-label="Next frame" title="Next frame (→)">›</button>
          </>
        )}
        <button onClick={controller.stop}>Stop</button>
      </div>
    )
  }
  const name = view.presenter.userName
  return (
    <div className="scrawl-presentation" role="status" data-testid="presentation-bar" data-state={view.following ? 'following' : 'left'}>
      <span className="scrawl-presentation__dot" style={{ background: view.presenter.color }} />
      <span className="scrawl-presentation__label">{view.following ? `Following ${name}` : `${name} is presenting`}</span>
      {view.following ? <button onClick={controller.leave}>Leave</button> : <button onClick={controller.rejoin}>Follow</button>}
    </div>
  )
}

/** "Present" / "Stop presenting" in the board's main menu. */
export function PresentMenuGroup() {
  const controller = useContext(PresentationContext)
  const presenting = useValue('presenting', () => controller?.view.get().presenting ?? false, [controller])
  if (!controller) return null
  return (
    <TldrawUiMenuGroup id="scrawl-present">
      <TldrawUiMenuItem
        id="scrawl-present"
        label={presenting ? 'Stop presenting' : 'Present'}
        readonlyOk
        onSelect={presenting ? controller.stop : controller.start}
      />
    </TldrawUiMenuGroup>
  )
}
