import { Collaboration } from '@tiptap/extension-collaboration'
import { Plugin, PluginKey } from '@tiptap/pm/state'
import { getTipTapDefaultExtensions, type Editor, type TLShapeId, type TLTextOptions } from 'tldraw'
import type { StoreDocBinding } from '../board/binding.ts'

/** What BoardPage wires in for per-character label text. */
export interface TextCollaboration {
  /** `options.text` for `<Tldraw>`: tldraw's TipTap extensions, with collaboration instead of TipTap's own undo. */
  readonly textOptions: Partial<TLTextOptions>
  /** Connects to the mounted editor; returns the teardown. */
  mount(editor: Editor): () => void
}

/**
 * Binds the TipTap editor tldraw creates for the label being edited to that label's Y.XmlFragment
 * (binding.labels, labelText.ts) with TipTap's collaboration extension, so concurrent typing merges per
 * character and remote keys arrive through y-prosemirror (keeping the caret) instead of tldraw's
 * setContent. The extension's undo (y-undo, tracking only this editor's typing) replaces TipTap's;
 * tldraw's shortcuts are off while a label is edited, so Mod-Z reaches it.
 *
 * tldraw still writes the editor's richText into the shape on every change; those writes are kept
 * out of tldraw's history, since they carry others' typing too and undoing them would take it back.
 */
export function createTextCollaboration(binding: StoreDocBinding): TextCollaboration {
  let tldraw: Editor | null = null

  const LabelCollaboration = Collaboration.extend({
    addProseMirrorPlugins() {
      // tldraw makes a TipTap editor only for the shape being edited, so that is the label to bind.
      const id = tldraw?.getEditingShapeId() ?? null
      const shape = id ? tldraw!.getShape(id) : undefined
      if (!id || !shape || !('richText' in shape.props) || tldraw!.getIsReadonly()) return []
      // The extension reads its fragment from its options when it builds its plugins, once per editor.
      this.options.fragment = binding.labels.bind(id)
      const plugins = (this as unknown as { parent: () => Plugin[] }).parent()
      const unbind = new Plugin({
        key: new PluginKey('scrawlLabelUnbind'),
        view: () => ({ destroy: () => binding.labels.unbind(id) }),
      })
      return [...plugins, unbind]
    },
  })

  const textOptions: Partial<TLTextOptions> = {
    tipTapConfig: {
      extensions: [...getTipTapDefaultExtensions({ undoRedo: false }), LabelCollaboration],
    },
  }

  return {
    textOptions,
    mount(editor) {
      tldraw = editor
      const updateShapes = editor.updateShapes
      const isBoundText = (partial: unknown) => {
        const { id, props } = (partial ?? {}) as { id?: TLShapeId; props?: object }
        return id !== undefined && binding.labels.isBound(id) && props !== undefined && Object.keys(props).join() === 'richText'
      }
      editor.updateShapes = function (partials) {
        if (partials.length === 0 || !partials.every(isBoundText)) return updateShapes.call(this, partials)
        this.run(() => updateShapes.call(this, partials), { history: 'ignore' })
        return this
      }
      binding.labels.onRebind = (id) => {
        // Someone replaced the label's fragment under us (a re-seed): edit again to bind the new one.
        if (editor.getEditingShapeId() !== id) return
        editor.setEditingShape(null)
        editor.setEditingShape(id as TLShapeId)
      }
      return () => {
        binding.labels.onRebind = null
        editor.updateShapes = updateShapes
        if (tldraw === editor) tldraw = null
      }
    },
  }
}
