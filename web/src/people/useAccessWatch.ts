import { useEffect, useMemo } from 'react'
import { useValue } from 'tldraw'
import type { RoomBoard } from '../app/useRoomBoard.ts'
import { createBoardPeopleApi } from './peopleApi.ts'
import { usePeople } from './PeopleContext.ts'
import { accessLossOf } from './peopleRules.ts'

/**
 * Keeps an open board in step with the person's access (sign-in mode only; nothing outside it):
 * - when the server closes the socket with 4403 because access was removed or the role went down, or 4401 because the
 *   session ended, the gate shows the no-access page, reconnects with the new role, or shows the sign-in page. Other
 *   refusals (trash, tokens) stay the board's own.
 * - a raised role is not pushed by the server (closing a viewer's socket would stop clients that never retry a 4403),
 *   so a read-only board asks again every {@link RAISED_ROLE_POLL_MS} while its tab is visible and whenever the tab
 *   comes back into focus, and reconnects when it may now edit.
 */
/**
 * How often a read-only board in a visible tab asks whether it may edit now. One small request per viewer every few
 * seconds costs the server nothing noticeable, and a person made editor can draw within this time without reloading.
 */
export const RAISED_ROLE_POLL_MS = 4_000

export function useAccessWatch(board: RoomBoard | null): void {
  const people = usePeople()
  const loss = useValue(
    'people access loss',
    () => {
      const status = board?.connection.status.get()
      return status?.state === 'denied' ? accessLossOf(status.deniedReason) : null
    },
    [board],
  )
  useEffect(() => {
    if (people && loss) people.onAccessLost(loss)
  }, [people, loss])

  const readonlyGranted = useValue('people readonly granted', () => board?.connection.status.get().readonly ?? false, [board])
  const room = people?.room ?? null
  const api = useMemo(() => (room ? createBoardPeopleApi(room) : null), [room])
  useEffect(() => {
    if (!people || !api || !readonlyGranted) return
    let asking = false
    const recheck = async () => {
      if (asking || document.visibilityState !== 'visible') return
      asking = true
      try {
        const { you } = await api.members()
        if (you === 'editor' || you === 'owner') people.onAccessLost('role-changed')
      } catch {
        // Offline or refused: the socket reports a real loss of access on its own.
      } finally {
        asking = false
      }
    }
    const onVisible = () => void recheck()
    window.addEventListener('focus', onVisible)
    document.addEventListener('visibilitychange', onVisible)
    const poll = window.setInterval(onVisible, RAISED_ROLE_POLL_MS)
    return () => {
      window.clearInterval(poll)
      window.removeEventListener('focus', onVisible)
      document.removeEventListener('visibilitychange', onVisible)
    }
  }, [people, api, readonlyGranted])
}
