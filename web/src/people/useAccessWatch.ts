import { useEffect } from 'react'
import { useValue } from 'tldraw'
import type { RoomBoard } from '../app/useRoomBoard.ts'
import { usePeople } from './PeopleContext.ts'
import { accessLossOf } from './peopleRules.ts'

/**
 * Hands a board's people refusals to the gate (sign-in mode only): when the server closes the socket with 4403
 * because access was removed or the role went down, or 4401 because the session ended, the gate shows the no-access
 * page, reconnects with the new role, or shows the sign-in page. Other refusals (trash, tokens) stay the board's own.
 */
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
}
