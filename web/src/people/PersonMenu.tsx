import { usePeople } from './PeopleContext.ts'
import type { Person } from './peopleApi.ts'
import { initialsOf, presenceColourFor } from './peopleRules.ts'

/** A person's picture from the identity provider, or their initials on their presence colour. */
export function Avatar({ person, size = 28 }: { person: Pick<Person, 'email' | 'name' | 'picture'>; size?: number }) {
  const style = { width: size, height: size, fontSize: Math.round(size * 0.4) }
  if (person.picture) {
    // no-referrer: the provider's image host learns nothing about which board is open.
    return <img className="scrawl-avatar" src={person.picture} alt="" referrerPolicy="no-referrer" style={style} data-testid="avatar" />
  }
  return (
    <span className="scrawl-avatar" style={{ ...style, background: presenceColourFor(person.email) }} aria-hidden data-testid="avatar">
      {initialsOf(person.name)}
    </span>
  )
}

/**
 * Ends the session: a same-origin POST to `/auth/logout` (the server deletes the session, clears the cookie and,
 * where the provider supports it, ends the provider's session too).
 */
export function SignOutButton({ label = 'Sign out' }: { label?: string }) {
  return (
    <form method="post" action="/auth/logout" className="scrawl-signout">
      <button type="submit" className="scrawl-signout__button" data-testid="sign-out">
        {label}
      </button>
    </form>
  )
}

/**
 * The signed-in person in the top bar (boards page and board): avatar, name, sign out, and for admins (ADMIN_EMAILS)
 * on the boards page a download of the whole server's backup archive (docs/backups.md). Nothing outside sign-in mode.
 */
export function PersonMenu({ backup = false }: { backup?: boolean }) {
  const people = usePeople()
  if (!people) return null
  const { person } = people.me
  return (
    <div className="scrawl-person" data-testid="person-menu" title={`${person.name} (${person.email})${person.admin ? ', admin' : ''}`}>
      <Avatar person={person} />
      <span className="scrawl-person__name" data-testid="person-name">
        {person.name}
      </span>
      {backup && person.admin && (
        <a className="scrawl-signout__button" href="/api/admin/backup" download data-testid="server-backup" title="Download a backup archive of every board">
          Back up the server
        </a>
      )}
      <SignOutButton />
    </div>
  )
}
