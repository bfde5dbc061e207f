/**
 * Sign-in mode's small decisions, kept pure so they are tested without a browser: what a refusal of the socket means,
 * which link changes the dialog makes, how a person looks (provider name, initials, presence colour), and the
 * `?link=` parameter of a board's address.
 */

/** A board role (docs/protocol.md, "People"). */
export type Role = 'viewer' | 'editor' | 'owner'

/** Every role, weakest first (the order the dialog offers them in). */
export const ROLES: readonly Role[] = ['viewer', 'editor', 'owner']

/** What a link grants: nothing (no link), looking, or drawing. */
export type LinkAccess = 'off' | 'view' | 'edit'

/** What the server's close of a board's socket means to this page. */
export type AccessLoss =
  /** Access is gone (removed, link revoked) or was never there: show the no-access page. */
  | 'no-access'
  /** The role went down (e.g. editor to viewer): reconnect, and the server grants the new role. */
  | 'role-changed'
  /** The session ended (signed out elsewhere, expired): show the sign-in page. */
  | 'signed-out'

/**
 * Reads a 4401/4403 close reason of the sign-in gate (server/src/people: `no access to this board`,
 * `access to this board was removed`, `your role on this board changed`, `sign in required`, and `signed out` when
 * the session was ended in another tab). Other refusals (a board in the trash, a bad token) are not about people: null.
 */
export function accessLossOf(reason: string | undefined): AccessLoss | null {
  if (!reason) return null
  if (/role on this board changed/i.test(reason)) return 'role-changed'
  if (/no access to this board|access to this board was removed/i.test(reason)) return 'no-access'
  if (/sign in required|signed out/i.test(reason)) return 'signed-out'
  return null
}

/** A link as the members view lists it (owners only). */
export interface LinkInfo {
  id: string
  access: 'view' | 'edit'
  url: string
  createdAt: string
}

/** The link the dialog shows: the newest one (links are listed oldest first), or null. */
export function currentLink(links: readonly LinkInfo[]): LinkInfo | null {
  return links.length > 0 ? links[links.length - 1] : null
}

/** What to ask the server for when the owner picks `wanted` in the link select (or renews the link). */
export interface LinkPlan {
  /** Make a link with this access first, or null. */
  create: 'view' | 'edit' | null
  /** Then revoke these links (everyone who came through them loses that access). */
  revoke: string[]
}

/**
 * The changes that leave exactly one link with access `wanted` (none for `off`). Picking the access the current link
 * already has changes nothing unless `renew` (revoke it and make a new id: a leaked link stops working). Older
 * links beyond the current one are revoked on any change, so the dialog's one select tells the whole truth.
 */
export function planLinkChange(links: readonly LinkInfo[], wanted: LinkAccess, renew = false): LinkPlan {
  const current = currentLink(links)
  if (wanted === 'off') return { create: null, revoke: links.map((l) => l.id) }
  if (current && current.access === wanted && !renew) return { create: null, revoke: links.filter((l) => l !== current).map((l) => l.id) }
  return { create: wanted, revoke: links.map((l) => l.id) }
}

/** One person with access, as the members view lists them. */
export interface MemberInfo {
  email: string
  role: Role | null
  /** `member`: invited by email; `link`: came through a link. */
  via: 'member' | 'link'
  name: string | null
  picture: string | null
  /** Invited but never signed in yet. */
  invited: boolean
}

/** The owner first, then the others by role (strongest first), then by name or email. */
export function sortMembers(members: readonly MemberInfo[], owner: string | null): MemberInfo[] {
  const rank = (m: MemberInfo) => (m.email === owner ? -1 : m.role === null ? ROLES.length : ROLES.length - 1 - ROLES.indexOf(m.role))
  const label = (m: MemberInfo) => (m.name ?? m.email).toLowerCase()
  return [...members].sort((a, b) => rank(a) - rank(b) || label(a).localeCompare(label(b)))
}

// Hosts of the providers people know by name; anything else is shown by its host (the operator's own Keycloak etc.).
const KNOWN_PROVIDERS: Array<[RegExp, string]> = [
  [/(^|\.)accounts\.google\.com$/i, 'Google'],
  [/(^|\.)login\.microsoftonline\.com$/i, 'Microsoft'],
  [/(^|\.)okta\.com$|(^|\.)oktapreview\.com$/i, 'Okta'],
  [/(^|\.)auth0\.com$/i, 'Auth0'],
  [/(^|\.)gitlab\.com$/i, 'GitLab'],
]

/** The provider's name for "Sign in with …": a well-known one by name, else the issuer host `/api/me` gives. */
export function providerDisplayName(host: string): string {
  const bare = host.replace(/:\d+$/, '')
  for (const [pattern, name] of KNOWN_PROVIDERS) if (pattern.test(bare)) return name
  return host
}

/** Up to two initials for an avatar without a picture ("Alice Archer" -> "AA", "bob@example.com" -> "B"). */
export function initialsOf(name: string): string {
  const words = name.replace(/@.*$/, '').split(/[\s._-]+/).filter(Boolean)
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : words.slice(0, 1)
  return letters.map((w) => Array.from(w)[0].toUpperCase()).join('') || '?'
}

/** Cursor colours, distinct on a white canvas (the same family as tldraw's own). */
export const PRESENCE_COLOURS: readonly string[] = [
  '#E8590C', '#E03131', '#C2255C', '#9C36B5', '#6741D9', '#3B5BDB', '#1971C2', '#0C8599', '#099268', '#2F9E44', '#66A80F', '#F08C00',
]

/**
 * A signed-in person's presence colour, seeded by their email: the same person has the same colour in every tab,
 * browser and board (FNV-1a over the address, so no two sessions disagree).
 */
export function presenceColourFor(email: string): string {
  let hash = 0x811c9dc5
  for (const byte of new TextEncoder().encode(email.trim().toLowerCase())) {
    hash ^= byte
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return PRESENCE_COLOURS[hash % PRESENCE_COLOURS.length]
}

/** The `?link=` id of a board address, when it looks like one the server makes (base64url). */
export function linkIdOf(search: string): string | null {
  const id = new URLSearchParams(search).get('link')
  return id && /^[A-Za-z0-9_-]{8,128}$/.test(id) ? id : null
}

/** `search` without its `link` parameter (for `history.replaceState` once the link was accepted). */
export function searchWithoutLink(search: string): string {
  const query = new URLSearchParams(search)
  query.delete('link')
  const rest = query.toString()
  return rest ? `?${rest}` : ''
}

/** Where "Sign in with …" goes: the login route, back to `returnTo` (a path on this origin) afterwards. */
export function loginHref(loginUrl: string, returnTo: string): string {
  return `${loginUrl}?next=${encodeURIComponent(returnTo.startsWith('/') ? returnTo : '/')}`
}
