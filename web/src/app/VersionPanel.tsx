import { useCallback, useEffect, useState } from 'react'
import { createTLStore, defaultBindingUtils, defaultShapeUtils, TldrawImage, TldrawUiButton, type TLUiAssetUrlOverrides } from 'tldraw'
import { versionSnapshot, type VersionSnapshot } from '../board/versionSnapshot.ts'
import type { RestoreResult, RoomApi, VersionInfo } from './roomApi.ts'

/** Props of {@link VersionPanel}. */
export interface VersionPanelProps {
  api: RoomApi
  /** View-only: list and preview, but no save, label or restore. */
  readonly: boolean
  licenseKey: string | null
  assetUrls?: TLUiAssetUrlOverrides
  onClose(): void
}

type Preview = { id: string; state: 'loading' } | { id: string; state: 'done'; result: VersionSnapshot } | { id: string; state: 'error'; message: string }

/**
 * Version history: the room's saved versions, newest first, with a read-only preview, labels, a
 * "save now" and restore. A restore is done by the server as a new change that reaches every
 * client through the document; the panel offers to undo it by restoring the automatic version the
 * server saved just before.
 */
export function VersionPanel({ api, readonly, licenseKey, assetUrls, onClose }: VersionPanelProps) {
  const [versions, setVersions] = useState<VersionInfo[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [newLabel, setNewLabel] = useState('')
  const [editing, setEditing] = useState<{ id: string; label: string } | null>(null)
  const [preview, setPreview] = useState<Preview | null>(null)
  const [restored, setRestored] = useState<(RestoreResult & { label: string }) | null>(null)

  const refresh = useCallback(async () => {
    try {
      setVersions(await api.listVersions())
      setError(null)
    } catch (e) {
      setError(`Could not list versions (${(e as Error).message})`)
    }
  }, [api])
  useEffect(() => void refresh(), [refresh])

  const act = async (what: string, action: () => Promise<void>) => {
    setBusy(true)
    try {
      await action()
      setError(null)
    } catch (e) {
      setError(`Could not ${what} (${(e as Error).message})`)
    } finally {
      setBusy(false)
      void refresh()
    }
  }

  const save = () =>
    act('save a version', async () => {
      await api.saveVersion(newLabel.trim())
      setNewLabel('')
    })
  const rename = (id: string, label: string) =>
    act('label the version', async () => {
      await api.labelVersion(id, label.trim())
      setEditing(null)
    })
  const restore = (version: VersionInfo) =>
    act('restore', async () => {
      const result = await api.restoreVersion(version.id)
      setRestored({ ...result, label: describe(version) })
    })
  const undoRestore = (savedAs: string) =>
    act('undo the restore', async () => {
      await api.restoreVersion(savedAs)
      setRestored(null)
    })
  const showPreview = async (id: string) => {
    setPreview({ id, state: 'loading' })
    try {
      const update = await api.versionState(id)
      const result = versionSnapshot(update, () => createTLStore({ shapeUtils: defaultShapeUtils, bindingUtils: defaultBindingUtils }))
      setPreview((p) => (p?.id === id ? { id, state: 'done', result } : p))
    } catch (e) {
      setPreview((p) => (p?.id === id ? { id, state: 'error', message: (e as Error).message } : p))
    }
  }

  return (
    <aside className="scrawl-popover scrawl-versions" aria-label="Version history" data-testid="version-panel">
      <div className="scrawl-popover__header">
        <strong>Version history</strong>
        <button className="scrawl-popover__close" onClick={onClose} aria-label="Close" data-testid="version-panel-close">
          ×
        </button>
      </div>
      {!readonly && (
        <form
          className="scrawl-versions__save"
          onSubmit={(e) => {
            e.preventDefault()
            void save()
          }}
        >
          <input
            placeholder="Label (optional)"
            value={newLabel}
            maxLength={200}
            onChange={(e) => setNewLabel(e.target.value)}
            data-testid="version-save-label"
          />
          <TldrawUiButton type="normal" disabled={busy} onClick={() => void save()} data-testid="version-save">
            Save now
          </TldrawUiButton>
        </form>
      )}
      {restored && (
        <div className="scrawl-versions__notice" role="status" data-testid="version-restored">
          Restored {restored.label}.{' '}
          {!readonly && (
            <button className="scrawl-link-button" disabled={busy} onClick={() => void undoRestore(restored.savedAs)} data-testid="version-undo-restore">
              Undo restore
            </button>
          )}
        </div>
      )}
      {error && (
        <div className="scrawl-share__error" role="alert">
          {error}
        </div>
      )}
      {versions === null && !error && <div className="scrawl-share__hint">Loading…</div>}
      {versions?.length === 0 && <div className="scrawl-share__hint">No versions yet.</div>}
      <ul className="scrawl-versions__list">
        {versions?.map((version) => (
          <li key={version.id} className="scrawl-versions__item" data-testid="version-row" data-version-id={version.id} data-label={version.label}>
            {editing?.id === version.id ? (
              <form
                className="scrawl-versions__rename"
                onSubmit={(e) => {
                  e.preventDefault()
                  void rename(version.id, editing.label)
                }}
              >
                <input autoFocus value={editing.label} maxLength={200} onChange={(e) => setEditing({ id: version.id, label: e.target.value })} data-testid="version-label-input" />
                <button type="submit" className="scrawl-link-button" disabled={busy}>
                  Save
                </button>
                <button type="button" className="scrawl-link-button" onClick={() => setEditing(null)}>
                  Cancel
                </button>
              </form>
            ) : (
              <div className="scrawl-versions__title">{describe(version)}</div>
            )}
            <div className="scrawl-versions__meta">
              {formatDate(version.createdAt)} · {formatBytes(version.bytes)}
              {version.auto ? ' · automatic' : ''}
            </div>
            <div className="scrawl-versions__actions">
              <button className="scrawl-link-button" onClick={() => void showPreview(version.id)} data-testid="version-preview">
                Preview
              </button>
              {!readonly && (
                <>
                  <button className="scrawl-link-button" onClick={() => setEditing({ id: version.id, label: version.label })} data-testid="version-rename">
                    Label
                  </button>
                  <button className="scrawl-link-button" disabled={busy} onClick={() => void restore(version)} data-testid="version-restore">
                    Restore
                  </button>
                </>
              )}
            </div>
            {preview?.id === version.id && <VersionPreview preview={preview} licenseKey={licenseKey} assetUrls={assetUrls} />}
          </li>
        ))}
      </ul>
    </aside>
  )
}

function VersionPreview({ preview, licenseKey, assetUrls }: { preview: Preview; licenseKey: string | null; assetUrls?: TLUiAssetUrlOverrides }) {
  if (preview.state === 'loading') return <div className="scrawl-versions__preview">Loading preview…</div>
  if (preview.state === 'error') return <div className="scrawl-versions__preview scrawl-share__error">Preview failed: {preview.message}</div>
  const { result } = preview
  if (result.kind === 'unreadable') return <div className="scrawl-versions__preview scrawl-share__error">{result.reason}</div>
  if (result.shapeCount === 0) return <div className="scrawl-versions__preview" data-testid="version-preview-image">An empty board</div>
  return (
    <div className="scrawl-versions__preview" data-testid="version-preview-image" data-shapes={result.shapeCount}>
      <TldrawImage snapshot={result.snapshot} format="svg" background padding={16} licenseKey={licenseKey ?? undefined} assetUrls={assetUrls} />
    </div>
  )
}

function describe(version: VersionInfo): string {
  if (version.label) return `“${version.label}”`
  return version.auto ? 'Automatic version' : 'Untitled version'
}

function formatDate(iso: string): string {
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString()
}

function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '? bytes'
  if (bytes < 1024) return `${bytes} bytes`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}
