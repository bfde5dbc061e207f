import { createShapeId, toRichText, type TLNoteShape, type TLShapeId } from '@tldraw/tlschema'
import * as Y from 'yjs'
import { bindStoreToDoc } from './binding.ts'
import { createHeadlessStore } from './headlessStore.ts'
import { richTextFromFragment } from './richTextFragment.ts'

/** Bytes of the Yjs updates typing into a sticky note produced, per keystroke. */
export interface KeystrokeCost {
  keystrokes: number
  /** Bytes of all updates each keystroke caused (its fragment edit and any record change), in order. */
  keystrokeBytes: number[]
  medianBytes: number
  maxBytes: number
  /** Bytes of the commit that copies the text into props.richText once typing pauses (not a keystroke). */
  commitBytes: number
}

/**
 * Types `keystrokes` characters into a sticky note ("Hello world" to start with) through a real
 * tldraw store bound to a Y.Doc, the way the app does while a label is edited: each key is one
 * y-prosemirror transaction inserting a character into the label's Y.XmlFragment, then the editor's
 * new richText reaches the store (tldraw's onUpdate) and the frame runs. Every third key types at
 * the start of the text, the others at the end. Used by the unit tests and the benchmark.
 */
export function measureKeystrokeCost(keystrokes: number): KeystrokeCost {
  const store = createHeadlessStore()
  const doc = new Y.Doc()
  const frames: Array<() => void> = []
  const commits: Array<() => void> = []
  const binding = bindStoreToDoc({
    store,
    doc,
    requestFrame: (callback) => frames.push(callback),
    scheduleTextCommit: (callback) => commits.push(callback),
  })
  const runFrames = () => frames.splice(0).forEach((callback) => callback())
  runFrames()

  const id: TLShapeId = createShapeId('note')
  store.put([
    store.schema.types.shape.create({
      id,
      type: 'note',
      parentId: 'page:page',
      index: 'a1',
      props: {
        color: 'yellow', labelColor: 'black', size: 'm', font: 'draw', fontSizeAdjustment: 0, align: 'middle',
        verticalAlign: 'middle', growY: 0, url: '', scale: 1, textLastEditedBy: null, richText: toRichText('Hello world'),
      },
    } as TLNoteShape),
  ])
  runFrames()
  const fragment = binding.labels.bind(id)
  runFrames()

  const sizes: number[] = []
  doc.on('update', (update: Uint8Array) => sizes.push(update.byteLength))
  const typing = { editor: 'y-prosemirror' }
  const keystrokeBytes: number[] = []
  const text = (fragment.get(0) as Y.XmlElement).get(0) as Y.XmlText
  for (let i = 0; i < keystrokes; i++) {
    const char = 'abcdefghijklmnopqrstuvwxyz '[i % 27]
    doc.transact(() => text.insert(i % 3 === 2 ? 0 : text.length, char), typing)
    const shape = store.get(id) as TLNoteShape
    store.put([{ ...shape, props: { ...shape.props, richText: richTextFromFragment(fragment) as TLNoteShape['props']['richText'] } }])
    runFrames()
    keystrokeBytes.push(sizes.splice(0).reduce((a, b) => a + b, 0))
  }
  commits.splice(0).forEach((commit) => commit())
  const commitBytes = sizes.splice(0).reduce((a, b) => a + b, 0)
  binding.labels.unbind(id)
  binding.dispose()

  const sorted = [...keystrokeBytes].sort((a, b) => a - b)
  return {
    keystrokes,
    keystrokeBytes,
    medianBytes: sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : 0,
    maxBytes: sorted.at(-1) ?? 0,
    commitBytes,
  }
}
