import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react'
import { TldrawUiButton } from 'tldraw'
import { createBoardPeopleApi, type MembersView } from './peopleApi.ts'
import { usePeople } from './PeopleContext.ts'
import { Avatar } from './PersonMenu.tsx'
import { currentLink, planLinkChange, ROLES, sortMembers, type LinkAccess, type Role } from './peopleRules.ts'

/** Props of {@link PeopleDialog}. */
export interface PeopleDialogProps {
  room: string
  onClose(): void
}

const ROLE_LABELS: Record<Role, string> = { viewer: 'Viewer', editor: 'Editor', owner: 'Owner' }
/** How often an open dialog asks the server again who has access. */
const REFRESH_MS = 5000
const LINK_LABELS: Record<LinkAccess, string> = { off: 'Off', view: 'Can view', edit: 'Can edit' }

/**
 * Sign-in mode's share dialog: who has access (the owner, members, people who came through a link), inviting by
 * email with a role, changing a role or removing someone, handing the board to another member (the owner or an
 * admin, after a confirmation), and the board's link (off, view, edit) with copy and renew. Only owners (and admins)
 * change anything; the server enforces the same and closes the sockets of everyone who loses access. Others see who
 * has access.
 */
export function PeopleDialog({ room, onClose }: PeopleDialogProps) {
  const people = usePeople()
  const api = useMemo(() => createBoardPeopleApi(room), [room])
  const [view, setView] = useState<MembersView | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [email, setEmail] = useState('')
  const [role, setRole] = useState<Role>('editor')
  const [copied, setCopied] = useState(false)
  /** The member about to be made owner, while the owner confirms. */
  const [newOwner, setNewOwner] = useState<string | null>(null)

  const reload = useCallback(async () => setView(await api.members()), [api])
  useEffect(() => {
    reload().catch((e: unknown) => setError((e as Error).message))
    // People arrive through links and accept invitations while the dialog is open: keep the list current.
    const timer = setInterval(() => {
      reload().catch(() => {
        // A missed refresh is harmless: the next one, or the next change, asks again.
      })
    }, REFRESH_MS)
    return () => clearInterval(timer)
  }, [reload])

  /** Runs one change, then shows the server's list again (whatever happened). */
  const act = async (change: () => Promise<unknown>) => {
    setBusy(true)
    setError(null)
    try {
      await change()
    } catch (e) {
      setError((e as Error).message)
    }
    await reload().catch((e: unknown) => setError((e as Error).message))
    setBusy(false)
  }

  const invite = (event: FormEvent) => {
    event.preventDefault()
    const address = email.trim()
    if (!address) return
    void act(async () => {
      await api.setRole(address, role)
      setEmail('')
    })
  }

  const changeLink = (wanted: LinkAccess, renew = false) =>
    act(async () => {
      const plan = planLinkChange(view?.links ?? [], wanted, renew)
      // The new link first, so a failure halfway never leaves the board without the link the owner asked for.
      if (plan.create) await api.createLink(plan.create)
      for (const id of plan.revoke) await api.revokeLink(id)
    })

  const copy = async (url: string) => {
    try {
      await navigator.clipboard.writeText(url)
    } catch {
      // No clipboard permission (an insecure origin): let the owner copy it by hand.
      window.prompt('Copy this link', url)
    }
    setCopied(true)
    setTimeout(() => setCopied(false), 1500)
  }

  const manages = view?.you === 'owner'
  const me = people?.me.person.email
  // Transferring is the board owner's (or an admin's), not every member with the owner role.
  const transfers = manages && (view?.owner?.email === me || people?.me.person.admin === true)
  const link = view ? currentLink(view.links) : null
  const members = view ? sortMembers(view.members, view.owner?.email ?? null) : []

  return (
    <div className="scrawl-popover scrawl-share scrawl-people" role="dialog" aria-label="Share this board" data-testid="people-dialog">
      <div className="scrawl-popover__header">
        <strong>Share this board</strong>
        <button className="scrawl-popover__close" onClick={onClose} aria-label="Close">
          ×
        </button>
      </div>
      {manages && (
        <form className="scrawl-people__invite" onSubmit={invite}>
          <input
            type="email"
            placeholder="Invite by email"
            aria-label="Email address to invite"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            data-testid="people-invite-email"
          />
          <select value={role} onChange={(e) => setRole(e.target.value as Role)} aria-label="Role" data-testid="people-invite-role">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {ROLE_LABELS[r]}
              </option>
            ))}
          </select>
          <TldrawUiButton type="primary" disabled={busy || !email.trim()} onClick={invite} data-testid="people-invite-submit">
            Invite
          </TldrawUiButton>
        </form>
      )}
      {error && (
        <div className="scrawl-share__error" role="alert" data-testid="people-error">
          {error}
        </div>
      )}
      <div className="scrawl-share__row">
        <div className="scrawl-share__title">Who has access</div>
        {!view && !error && <div className="scrawl-share__hint">Asking the server…</div>}
        <ul className="scrawl-people__list" data-testid="people-list">
          {members.map((m) => {
            const isOwner = m.email === view?.owner?.email
            return (
              <li key={m.email} className="scrawl-people__member" data-testid="people-row" data-email={m.email}>
                <Avatar person={{ email: m.email, name: m.name ?? m.email, picture: m.picture }} size={24} />
                <span className="scrawl-people__who">
                  <span>
                    {m.name ?? m.email}
                    {m.email === me ? ' (you)' : ''}
                  </span>
                  <span className="scrawl-share__hint">
                    {m.email}
                    {m.invited ? ' · invited' : ''}
                    {m.via === 'link' ? ' · through a link' : ''}
                  </span>
                </span>
                {manages && !isOwner && m.via === 'member' ? (
                  <select
                    value={m.role ?? 'viewer'}
                    disabled={busy}
                    onChange={(e) => void act(() => api.setRole(m.email, e.target.value as Role))}
                    aria-label={`Role of ${m.email}`}
                    data-testid="people-role"
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {ROLE_LABELS[r]}
                      </option>
                    ))}
                  </select>
                ) : (
                  <span className="scrawl-people__role" data-testid="people-role-label">
                    {m.role ? ROLE_LABELS[m.role] : ''}
                  </span>
                )}
                {transfers && !isOwner && m.via === 'member' && (
                  <button
                    className="scrawl-people__remove"
                    disabled={busy}
                    onClick={() => setNewOwner(m.email)}
                    aria-label={`Make ${m.email} the owner`}
                    title="Make owner"
                    data-testid="people-make-owner"
                  >
                    ♛
                  </button>
                )}
                {manages && !isOwner && (
                  <button
                    className="scrawl-people__remove"
                    disabled={busy}
                    onClick={() => void act(() => api.remove(m.email))}
                    aria-label={`Remove ${m.email}`}
                    title="Remove"
                    data-testid="people-remove"
                  >
                    ×
                  </button>
                )}
              </li>
            )
          })}
        </ul>
        {newOwner && (
          <div className="scrawl-people__confirm" role="alertdialog" data-testid="people-transfer">
            <span>
              Make {newOwner} the owner of this board? {view?.owner?.email === me ? 'You stay on it as an editor.' : 'The current owner stays on it as an editor.'}
            </span>
            <TldrawUiButton
              type="primary"
              disabled={busy}
              onClick={() => void act(() => api.transferOwnership(newOwner)).then(() => setNewOwner(null))}
              data-testid="people-transfer-confirm"
            >
              Make owner
            </TldrawUiButton>
            <TldrawUiButton type="normal" onClick={() => setNewOwner(null)}>
              Cancel
            </TldrawUiButton>
          </div>
        )}
        {view && !manages && <div className="scrawl-share__hint">Only the board's owner changes who has access.</div>}
      </div>
      {manages && (
        <div className="scrawl-share__row" data-testid="people-link">
          <div className="scrawl-share__title">Anyone signed in with the link</div>
          <select
            value={link?.access ?? 'off'}
            disabled={busy}
            onChange={(e) => void changeLink(e.target.value as LinkAccess)}
            aria-label="Link access"
            data-testid="people-link-access"
          >
            {(['off', 'view', 'edit'] as const).map((a) => (
              <option key={a} value={a}>
                {LINK_LABELS[a]}
              </option>
            ))}
          </select>
          {link && (
            <>
              <div className="scrawl-share__link">
                <input readOnly value={link.url} data-testid="people-link-url" onFocus={(e) => e.currentTarget.select()} />
                <TldrawUiButton type="normal" onClick={() => copy(link.url)} data-testid="people-link-copy">
                  {copied ? 'Copied' : 'Copy'}
                </TldrawUiButton>
              </div>
              <TldrawUiButton type="normal" disabled={busy} onClick={() => void changeLink(link.access, true)} data-testid="people-link-renew">
                Revoke and make a new link
              </TldrawUiButton>
            </>
          )}
          <div className="scrawl-share__hint">
            People who open the link while signed in get its access until it is revoked; turning it off or renewing it
            cuts off everyone who came through it (members stay).
          </div>
        </div>
      )}
    </div>
  )
}
