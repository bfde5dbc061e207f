import type { OwnerInfo, Person } from './peopleApi.ts'
import { SignOutButton } from './PersonMenu.tsx'

/** Props of {@link NoAccessPage}. */
export interface NoAccessPageProps {
  /** Who is signed in (the message says who was refused). */
  person: Person
  /** Whom to ask: the board's owner, or null when the server did not name one. */
  owner: OwnerInfo | null
  /** The page was opened through a link that was revoked (or never existed). */
  linkGone: boolean
}

/**
 * "You have no access to this board": shown instead of a board the server refuses (never given, removed, link
 * revoked), with the owner to ask and a ready-made email to them, and ways on (all boards, another account).
 */
export function NoAccessPage({ person, owner, linkGone }: NoAccessPageProps) {
  const ownerLabel = owner ? (owner.name ?? owner.email) : null
  const mail = owner
    ? `mailto:${encodeURIComponent(owner.email)}?subject=${encodeURIComponent('Access to a Scrawl board')}&body=${encodeURIComponent(
        `Hello ${ownerLabel},\n\ncould you share this board with me (${person.email})?\n${window.location.origin}${window.location.pathname}\n`,
      )}`
    : null
  return (
    <main className="scrawl-people-page" data-testid="no-access">
      <div className="scrawl-people-page__card">
        <div className="scrawl-people-page__brand">Scrawl</div>
        <h1>You have no access to this board</h1>
        {linkGone && <p>The link you opened was revoked, or never existed.</p>}
        {owner ? (
          <p>
            Ask the owner, <strong data-testid="no-access-owner">{ownerLabel}</strong>
            {owner.name ? ` (${owner.email})` : ''}, to share it with you.
          </p>
        ) : (
          <p>Ask the person who shared it with you to invite you.</p>
        )}
        {mail && (
          <a className="scrawl-people-page__primary" href={mail} data-testid="ask-owner">
            Ask the owner
          </a>
        )}
        <p className="scrawl-people-page__hint">
          Signed in as {person.name} ({person.email}).
        </p>
        <div className="scrawl-people-page__actions">
          <a href="/">All boards</a>
          <SignOutButton label="Sign in as someone else" />
        </div>
      </div>
    </main>
  )
}
