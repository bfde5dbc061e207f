import { useEffect, useRef, useState } from 'react'
import { UNTITLED_BOARD } from '../board/boardTitle.ts'
import { newBoardHref, type BoardsApi, type BoardSummary } from './boardsApi.ts'

/** Loads the templates (`GET /api/boards?view=templates`) once `active` is true. */
export function useTemplates(api: BoardsApi, active: boolean): { templates: BoardSummary[] | null; error: string | null } {
  const [templates, setTemplates] = useState<BoardSummary[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    if (!active) return
    const controller = new AbortController()
    api.list({ view: 'templates', limit: 100 }, controller.signal).then(
      (page) => setTemplates(page.boards),
      (reason: Error) => {
        if (!controller.signal.aborted) setError(reason.message)
      },
    )
    return () => controller.abort()
  }, [api, active])
  return { templates, error }
}

/** The templates as links that start a new board from each (`/new?template=ID`). */
export function TemplateList({ api, templates, token }: { api: BoardsApi; templates: BoardSummary[]; token: string | null }) {
  return (
    <ul className="scrawl-templates" data-testid="template-list">
      {templates.map((template) => (
        <li key={template.id}>
          <a href={newBoardHref({ template: template.id, token })} data-testid="template-option" data-template-id={template.id}>
            {template.thumbnailUrl ? <img src={api.resolve(template.thumbnailUrl)} alt="" loading="lazy" /> : <span className="scrawl-templates__placeholder" />}
            <span>{template.title || UNTITLED_BOARD}</span>
          </a>
        </li>
      ))}
    </ul>
  )
}

/** "New from template": a button opening a list of templates; Escape or a click elsewhere closes it. */
export function TemplatePicker({ api, token }: { api: BoardsApi; token: string | null }) {
  const [open, setOpen] = useState(false)
  const { templates, error } = useTemplates(api, open)
  const root = useRef<HTMLDivElement>(null)
  const button = useRef<HTMLButtonElement>(null)

  useEffect(() => {
    if (!open) return
    const onPointerDown = (event: PointerEvent) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false)
    }
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return
      setOpen(false)
      button.current?.focus()
    }
    document.addEventListener('pointerdown', onPointerDown)
    document.addEventListener('keydown', onKeyDown)
    return () => {
      document.removeEventListener('pointerdown', onPointerDown)
      document.removeEventListener('keydown', onKeyDown)
    }
  }, [open])

  return (
    <div className="scrawl-picker" ref={root}>
      <button ref={button} type="button" className="scrawl-button" aria-expanded={open} aria-haspopup="true" onClick={() => setOpen((o) => !o)} data-testid="new-from-template">
        New from template
      </button>
      {open && (
        <div className="scrawl-picker__popover" role="group" aria-label="Templates">
          {error ? (
            <p role="alert">Could not load the templates: {error}</p>
          ) : templates === null ? (
            <p>Loading templates…</p>
          ) : templates.length === 0 ? (
            <p>No templates yet. Any board becomes one with “Save as template” on its card.</p>
          ) : (
            <TemplateList api={api} templates={templates} token={token} />
          )}
        </div>
      )}
    </div>
  )
}
