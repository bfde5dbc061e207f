import { createContext, useContext } from 'react'
import type { Me, Person } from './peopleApi.ts'
import type { AccessLoss } from './peopleRules.ts'

/** What sign-in mode tells the pages below the gate; absent (null) in open and token modes. */
export interface PeopleSession {
  /** `/api/me`, with the signed-in person. */
  me: Me & { person: Person }
  /** The board of this page (`/b/:room`, `/embed/:room`), or null on the boards page. */
  room: string | null
  /** Called by a board whose socket the server closed for a people reason (see {@link AccessLoss}). */
  onAccessLost(loss: AccessLoss): void
}

/** Sign-in mode's session for the pages (people dialog, person menu, access watch). */
export const PeopleContext = createContext<PeopleSession | null>(null)

/** The sign-in session, or null outside sign-in mode (and in token pages, which keep the token rules). */
export function usePeople(): PeopleSession | null {
  return useContext(PeopleContext)
}
