/**
 * Sign-in mode's HTTP API as the web app uses it (docs/protocol.md, "People"): who is signed in, and who has access to
 * a board. Calls go with the session cookie (same origin), never a token: token pages keep their own share menu.
 */
import { apiRequest } from '../sync/apiRequest.ts'
import type { LinkInfo, MemberInfo, Role } from './peopleRules.ts'

/** The signed-in person (`GET /api/me`'s `person`). */
export interface Person {
  email: string
  name: string
  /** Avatar URL from the identity provider, or null. */
  picture: string | null
  /** In ADMIN_EMAILS: sees and manages every board. */
  admin: boolean
}

/** `GET /api/me` in sign-in mode. */
export interface Me {
  /** The identity provider's issuer host. */
  provider: string
  /** Null: nobody is signed in. */
  person: Person | null
  /** Where sign-in starts (`/auth/login`). */
  loginUrl: string
}

/** A board's owner as the server names them. */
export interface OwnerInfo {
  email: string
  /** Their name as they last signed in; null when they never did since. */
  name: string | null
}

/** `GET /api/boards/:room/members`: who has access, and the caller's own role. */
export interface MembersView {
  room: string
  owner: OwnerInfo | null
  you: Role | null
  members: MemberInfo[]
  /** Only for owners (link ids are secrets). */
  links: LinkInfo[]
}

/** A refusal of the people API, with the server's reason and, for "no access", the owner to ask. */
export class PeopleApiError extends Error {
  readonly status: number
  /** Set on a 403 "no access to this board": the board's owner (null when nobody owns it yet). */
  readonly owner: OwnerInfo | null | undefined
  constructor(status: number, message: string, owner?: OwnerInfo | null) {
    super(message)
    this.name = 'PeopleApiError'
    this.status = status
    this.owner = owner
  }
}

/** What the people API needs: the server's origin ('' = this page's) and a fetch. */
export interface PeopleApiOptions {
  serverUrl?: string
  fetch?: typeof fetch
}

/**
 * Asks `/api/me`. Resolves null when the server is not in sign-in mode (open or token mode answer 404) or cannot be
 * reached (offline: a cached board still opens).
 */
export async function loadMe({ serverUrl = '', fetch: doFetch = (...a) => fetch(...a) }: PeopleApiOptions = {}): Promise<Me | null> {
  try {
    const response = await doFetch(`${serverUrl.replace(/\/+$/, '')}/api/me`, { headers: { Accept: 'application/json' }, cache: 'no-store' })
    if (!response.ok || !response.headers.get('content-type')?.includes('json')) return null
    const body = (await response.json()) as { mode?: unknown; provider?: unknown; person?: Person | null; loginUrl?: unknown }
    if (body.mode !== 'sign-in') return null
    return {
      provider: typeof body.provider === 'string' ? body.provider : 'your identity provider',
      person: body.person ?? null,
      loginUrl: typeof body.loginUrl === 'string' ? body.loginUrl : '/auth/login',
    }
  } catch {
    // Offline, or no such server: behave as outside sign-in mode; the socket will say the rest.
    return null
  }
}

/** One board's people routes. */
export interface BoardPeopleApi {
  members(): Promise<MembersView>
  /** Invites `email` with `role`, or changes their role. */
  setRole(email: string, role: Role): Promise<MembersView>
  remove(email: string): Promise<void>
  createLink(access: 'view' | 'edit'): Promise<LinkInfo>
  revokeLink(id: string): Promise<void>
  /** Records that this person opened the board through link `id`; resolves their role. */
  acceptLink(id: string): Promise<Role | null>
  /** Makes `email` the board's owner (the owner or an admin only); the former owner stays as editor. */
  transferOwnership(email: string): Promise<MembersView>
}

/** The people API of `room`. */
export function createBoardPeopleApi(room: string, { serverUrl = '', fetch: doFetch = (...a) => fetch(...a) }: PeopleApiOptions = {}): BoardPeopleApi {
  const base = `${serverUrl.replace(/\/+$/, '')}/api/boards/${encodeURIComponent(room)}`
  const call = async (path: string, init: { method?: string; json?: unknown } = {}) => {
    // The 403 body's `owner` is read here (apiRequest keeps only the reason), per call: calls may overlap.
    let owner: OwnerInfo | null | undefined
    const peek: typeof fetch = async (...args) => {
      const response = await doFetch(...args)
      if (response.status === 403) {
        const body = (await response.clone().json().catch(() => null)) as { owner?: OwnerInfo | null } | null
        if (body && 'owner' in body) owner = body.owner ?? null
      }
      return response
    }
    const fail = (status: number, reason: string) => new PeopleApiError(status, reason || `HTTP ${status}`, status === 403 ? owner : undefined)
    return apiRequest(peek, `${base}${path}`, null, init, fail)
  }
  return {
    members: async () => (await (await call('/members')).json()) as MembersView,
    setRole: async (email, role) =>
      (await (await call(`/members/${encodeURIComponent(email)}`, { method: 'PUT', json: { role } })).json()) as MembersView,
    remove: async (email) => void (await call(`/members/${encodeURIComponent(email)}`, { method: 'DELETE' })),
    createLink: async (access) => (await (await call('/links', { method: 'POST', json: { access } })).json()) as LinkInfo,
    revokeLink: async (id) => void (await call(`/links/${encodeURIComponent(id)}`, { method: 'DELETE' })),
    acceptLink: async (id) => ((await (await call(`/links/${encodeURIComponent(id)}/accept`, { method: 'POST' })).json()) as { role: Role | null }).role,
    transferOwnership: async (email) => (await (await call('/owner', { method: 'PUT', json: { email } })).json()) as MembersView,
  }
}
