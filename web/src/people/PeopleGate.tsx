import { Fragment, useCallback, useEffect, useMemo, useState, type ReactNode } from 'react'
import { getUserPreferences, setUserPreferences } from 'tldraw'
import { NoAccessPage } from './NoAccessPage.tsx'
import { createBoardPeopleApi, loadMe, PeopleApiError, type Me, type OwnerInfo, type Person } from './peopleApi.ts'
import { PeopleContext, type PeopleSession } from './PeopleContext.ts'
import { linkIdOf, presenceColourFor, searchWithoutLink, type AccessLoss } from './peopleRules.ts'
import { SignInPage } from './SignInPage.tsx'
import './people.css'

/** Props of {@link PeopleGate}. */
export interface PeopleGateProps {
  /** The board of this page, or null for the boards page. */
  room: string | null
  /** The page carries a token (`?token=` or kept for the tab): token rules apply, and the gate stands aside. */
  hasToken: boolean
  children: ReactNode
}

type GateState =
  | { kind: 'loading' }
  /** Open or token mode (or the server is out of reach): the pages as they always were. */
  | { kind: 'outside' }
  | { kind: 'sign-in'; me: Me }
  | { kind: 'no-access'; me: Me & { person: Person }; owner: OwnerInfo | null; linkGone: boolean }
  | { kind: 'open'; me: Me & { person: Person } }

/**
 * Sign-in mode's front door, around every page: asks `/api/me`; shows the sign-in page to nobody signed in; on a board
 * accepts a `?link=` and checks access before connecting, showing the no-access page (with the owner to ask) instead
 * of a board that would only be refused; and afterwards reacts to the server taking access away while the board is
 * open (no-access page, reconnect with a lowered role, sign-in page). In open and token modes it renders the page as is.
 */
export function PeopleGate({ room, hasToken, children }: PeopleGateProps) {
  const [state, setState] = useState<GateState>(hasToken ? { kind: 'outside' } : { kind: 'loading' })
  // A new generation remounts the board: a fresh connection, which the server grants the current role.
  const [generation, setGeneration] = useState(0)
  const api = useMemo(() => (room ? createBoardPeopleApi(room) : null), [room])

  const enter = useCallback(async () => {
    const me = await loadMe()
    if (!me) return setState({ kind: 'outside' })
    if (!me.person) return setState({ kind: 'sign-in', me })
    const signedIn = { ...me, person: me.person }
    showPersonInPresence(me.person)
    if (!api) return setState({ kind: 'open', me: signedIn })
    const linkId = linkIdOf(window.location.search)
    if (linkId) {
      try {
        await api.acceptLink(linkId)
        window.history.replaceState(null, '', window.location.pathname + searchWithoutLink(window.location.search) + window.location.hash)
      } catch (error) {
        if (error instanceof PeopleApiError && error.status === 404) {
          return setState({ kind: 'no-access', me: signedIn, owner: await ownerToAsk(), linkGone: true })
        }
        // Anything else (offline, a server error): the board's own check below and the socket decide.
      }
    }
    try {
      await api.members()
    } catch (error) {
      if (error instanceof PeopleApiError && error.status === 401) return setState({ kind: 'sign-in', me: { ...me, person: null } })
      // A board nobody owns yet (owner null) becomes the opener's on connect; other failures leave it to the socket.
      if (error instanceof PeopleApiError && error.status === 403 && error.owner) {
        return setState({ kind: 'no-access', me: signedIn, owner: error.owner, linkGone: false })
      }
    }
    setState({ kind: 'open', me: signedIn })

    async function ownerToAsk(): Promise<OwnerInfo | null> {
      try {
        return (await api!.members()).owner
      } catch (error) {
        return error instanceof PeopleApiError ? (error.owner ?? null) : null
      }
    }
  }, [api])

  useEffect(() => {
    if (!hasToken) void enter()
  }, [hasToken, enter])

  const onAccessLost = useCallback(
    (loss: AccessLoss) => {
      if (loss === 'role-changed') setGeneration((g) => g + 1)
      else void enter()
    },
    [enter],
  )
  const session = useMemo<PeopleSession | null>(
    () => (state.kind === 'open' ? { me: state.me, room, onAccessLost } : null),
    [state, room, onAccessLost],
  )

  switch (state.kind) {
    case 'loading':
      return <p className="scrawl-message">Opening…</p>
    case 'outside':
      return <>{children}</>
    case 'sign-in':
      return <SignInPage me={state.me} forBoard={room !== null} />
    case 'no-access':
      return <NoAccessPage person={state.me.person} owner={state.owner} linkGone={state.linkGone} />
    case 'open':
      return (
        <PeopleContext.Provider value={session}>
          <Fragment key={generation}>{children}</Fragment>
        </PeopleContext.Provider>
      )
  }
}

/**
 * The signed-in identity is who others see: tldraw's user preferences (what presence sends) take the person's name,
 * and a colour seeded by their email, so the same person looks the same in every browser.
 */
function showPersonInPresence(person: Person): void {
  const preferences = getUserPreferences()
  const color = presenceColourFor(person.email)
  if (preferences.name !== person.name || preferences.color !== color) setUserPreferences({ ...preferences, name: person.name, color })
}
