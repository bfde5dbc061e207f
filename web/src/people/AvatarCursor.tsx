import { memo, useEffect, useRef, type ComponentType } from 'react'
import { computed, DefaultCursor, useEditor, useTransform, useValue, type Computed, type Editor, type TLCursorProps } from 'tldraw'
import { pictureOfPresence, type CursorPictures } from './cursorPictures.ts'

/**
 * tldraw's collaborator cursor with the person's avatar under the arrow, beside the name tag (sign-in mode). The
 * picture comes from the collaborator's presence (`meta.picture`) and is shown only when the server vouches for it
 * ({@link CursorPictures}); otherwise the cursor is tldraw's own.
 */
export function createAvatarCursor(pictures: CursorPictures): ComponentType<TLCursorProps> {
  // One map per editor for all its cursors: each cursor looks itself up instead of searching every collaborator.
  const byEditor = new WeakMap<Editor, Computed<Map<string, string | null>>>()
  const picturesOf = (editor: Editor) => {
    let map = byEditor.get(editor)
    if (!map) {
      map = computed('scrawl.cursorPictures', () => new Map(editor.getCollaborators().map((presence) => [presence.userId, pictureOfPresence(presence.meta)])))
      byEditor.set(editor, map)
    }
    return map
  }
  return memo(function AvatarCursor(props: TLCursorProps) {
    const editor = useEditor()
    const named = useValue('scrawl.cursorPicture', () => picturesOf(editor).get().get(props.userId) ?? null, [editor, props.userId])
    const shown = useValue('scrawl.cursorPictureShown', () => named !== null && pictures.isShown(named), [named])
    useEffect(() => {
      if (named && !shown) pictures.unknown(named)
    }, [named, shown])
    const ref = useRef<HTMLDivElement>(null)
    useTransform(ref, props.point?.x, props.point?.y, 1 / props.zoom)
    return (
      <>
        <DefaultCursor {...props} />
        {props.point && (
          <div ref={ref} className="tl-collaborators__item scrawl-cursor-avatar" hidden={!shown}>
            {shown && (
              // no-referrer: the provider's image host learns nothing about which board is open.
              <img src={named!} alt="" referrerPolicy="no-referrer" style={{ borderColor: props.color }} data-testid="cursor-avatar" />
            )}
          </div>
        )}
      </>
    )
  })
}
