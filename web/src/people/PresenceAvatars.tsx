import { memo, useEffect, useRef, type ComponentType } from 'react'
import {
  computed,
  DefaultCursor,
  DefaultPeopleMenuAvatar,
  useEditor,
  usePresence,
  useTransform,
  useValue,
  type Computed,
  type Editor,
  type TLCursorProps,
  type TLUiPeopleMenuAvatarProps,
} from 'tldraw'
import { pictureOfPresence, type CursorPictures } from './cursorPictures.ts'

/** tldraw components that show people's pictures (sign-in mode): on their cursors and in the people menu. */
export interface PresenceAvatars {
  CollaboratorCursor: ComponentType<TLCursorProps>
  PeopleMenuAvatar: ComponentType<TLUiPeopleMenuAvatarProps>
}

/**
 * tldraw's collaborator cursor and people-menu avatar with the person's picture: beside the cursor's name tag, and in
 * place of the initial in the people menu. The picture comes from the collaborator's presence (`meta.picture`) and is
 * shown only when the server vouches for it ({@link CursorPictures}); otherwise they are tldraw's own.
 */
export function createPresenceAvatars(pictures: CursorPictures): PresenceAvatars {
  // One map per editor for every cursor and avatar: each looks itself up instead of searching every collaborator.
  const byEditor = new WeakMap<Editor, Computed<Map<string, string | null>>>()
  const picturesOf = (editor: Editor) => {
    let map = byEditor.get(editor)
    if (!map) {
      map = computed('scrawl.presencePictures', () => new Map(editor.getCollaborators().map((presence) => [presence.userId, pictureOfPresence(presence.meta)])))
      byEditor.set(editor, map)
    }
    return map
  }
  /** The picture to show for `userId`, or null; asks the server about a picture it has not vouched for yet. */
  const useShownPicture = (userId: string): string | null => {
    const editor = useEditor()
    const named = useValue('scrawl.presencePicture', () => picturesOf(editor).get().get(userId) ?? null, [editor, userId])
    const shown = useValue('scrawl.presencePictureShown', () => named !== null && pictures.isShown(named), [named])
    useEffect(() => {
      if (named && !shown) pictures.unknown(named)
    }, [named, shown])
    return shown ? named : null
  }

  const CollaboratorCursor = memo(function AvatarCursor(props: TLCursorProps) {
    const picture = useShownPicture(props.userId)
    const ref = useRef<HTMLDivElement>(null)
    useTransform(ref, props.point?.x, props.point?.y, 1 / props.zoom)
    return (
      <>
        <DefaultCursor {...props} />
        {props.point && (
          <div ref={ref} className="tl-collaborators__item scrawl-cursor-avatar" hidden={!picture}>
            {picture && (
              // no-referrer: the provider's image host learns nothing about which board is open.
              <img src={picture} alt="" referrerPolicy="no-referrer" style={{ borderColor: props.color }} data-testid="cursor-avatar" />
            )}
          </div>
        )}
      </>
    )
  })

  function PeopleMenuAvatar({ userId }: TLUiPeopleMenuAvatarProps) {
    const picture = useShownPicture(userId)
    const color = usePresence(userId)?.color
    if (!picture) return <DefaultPeopleMenuAvatar userId={userId} />
    return (
      <img
        className="tlui-people-menu__avatar scrawl-people-menu-avatar"
        src={picture}
        alt=""
        referrerPolicy="no-referrer"
        style={{ borderColor: color }}
        data-testid="people-menu-avatar"
      />
    )
  }

  return { CollaboratorCursor, PeopleMenuAvatar }
}
