import * as Y from 'yjs'
import { recordsMap, textsMap } from './docLayout.ts'
import { jsonEqual } from './recordCodec.ts'
import { fillFragment, isRichText, normalizeRichText, patchFragment, richTextFromFragment, type RichTextNode } from './richTextFragment.ts'

/**
 * Per-character label text. A shape's label lives in `texts.get(shapeId)`, a Y.Map with
 *
 *   'fragment'  -> Y.XmlFragment   the text, edited per character by a bound TipTap editor
 *   'committed' -> JSON            the richText last copied from the fragment into props.richText
 *
 * props.richText in the record stays a plain copy for every reader that is not an editor (the
 * server's catalog, exports, Node clients, older Scrawl tabs). Copying it on every keystroke would
 * cost the whole text per key, so it is *committed*: when a client stops typing, and again when it
 * receives others' typing into a text it typed in, so that concurrent commits settle on the merged text.
 *
 * Which one holds the truth: while `committed` equals props.richText, the fragment (others may have
 * typed since the last commit). When they differ, someone wrote props.richText without going through
 * the fragment (a Node client, an older Scrawl), so props.richText; the next edit re-seeds the fragment
 * from it. Commits write both keys in one transaction, so concurrent commits resolve both keys to the
 * same writer and never look like such an override.
 *
 * Seeding (creating the entry from props.richText) happens lazily, when a label is first edited. Two
 * clients may seed the same label at once (both offline, say): they write the items under one client
 * id derived from the shape id, the seeded JSON and the entry it replaces, so their seeds are the very
 * same Yjs items and merge into one, instead of one seed (and the typing into it) losing to the other.
 */

const FRAGMENT = 'fragment'
const COMMITTED = 'committed'

/** Hooks the label text logic needs from the store binding. */
export interface LabelTextHost {
  /** The binding's transaction origin; the label logic writes with it too. */
  origin: object
  /** Others changed the text of these (unbound) labels: refresh them in the store. */
  onRemoteText(ids: string[]): void
  /**
   * The entry of a label being edited here was replaced by someone else (a re-seed after a foreign
   * write): the editor must be bound again to pick up the new fragment.
   */
  onRebind(id: string): void
  /** Runs `commit` later (default: 1 s after the last keystroke, see binding options). */
  scheduleCommit(commit: () => void): void
}

/** Label text state of one bound document; see the module comment. */
export interface LabelTexts {
  /** The richText the store should show, given the record's props.richText in the doc. */
  readRichText(id: string, docRichText: unknown): unknown
  /** Whether a TipTap editor on this client is bound to the label (it owns the store's richText). */
  isBound(id: string): boolean
  /**
   * Binds an editor to the label: returns its fragment, seeded first from `richText` (the store's
   * value, which mirrors the doc) if it has none or an overridden one.
   */
  bind(id: string, richText: unknown): Y.XmlFragment
  /** An editor is gone: the last one to go commits the text. */
  unbind(id: string): void
  /**
   * A local richText change of an unbound shape (from the store), inside the binding's transaction:
   * into the fragment and committed if the label has one, else straight into props.richText.
   */
  writeLocal(id: string, yProps: Y.Map<unknown>, richText: unknown): void
  /** A shape is being added: the richText to store in its props (the bound fragment's, if any). */
  richTextForNewRecord(id: string, richText: unknown): unknown
  /** Marks an added record's copy committed (after its props were written). */
  afterNewRecord(id: string): void
  /** The shape was deleted locally: its entry goes too. */
  deleted(id: string): void
  /** Commits every label with uncommitted local typing now. */
  commitPending(): void
  dispose(): void
}

/** Creates the label text logic for a document (used by bindStoreToDoc). */
export function createLabelTexts(doc: Y.Doc, host: LabelTextHost): LabelTexts {
  const { origin } = host
  const records = recordsMap(doc)
  const texts = textsMap(doc)
  /** Editors bound per label (React's strict mode may mount a second before the first is gone). */
  const bound = new Map<string, number>()
  /** Labels this client typed into since their last commit. */
  const dirty = new Set<string>()
  /** Labels this client has typed into: it re-commits them when others' typing arrives. */
  const participated = new Set<string>()
  let commitScheduled = false

  const propsOf = (id: string) => {
    const yRecord = records.get(id)
    const yProps = yRecord instanceof Y.Map ? yRecord.get('props') : undefined
    return yProps instanceof Y.Map ? (yProps as Y.Map<unknown>) : undefined
  }
  const plain = (value: unknown) => (value instanceof Y.AbstractType ? value.toJSON() : value)

  /** The label's entry, if it holds the truth (see the module comment). */
  function freshEntry(id: string, docRichText: unknown): { entry: Y.Map<unknown>; fragment: Y.XmlFragment } | null {
    const entry = texts.get(id)
    if (!(entry instanceof Y.Map)) return null
    const fragment = entry.get(FRAGMENT)
    if (!(fragment instanceof Y.XmlFragment)) return null
    if (docRichText !== undefined && !jsonEqual(plain(entry.get(COMMITTED)), docRichText)) return null
    return { entry, fragment }
  }

  function seed(id: string, richText: RichTextNode, deterministic: boolean): Y.XmlFragment {
    const left = (texts as unknown as { _map: Map<string, { id: { client: number; clock: number } }> })._map.get(id)
    const own = doc.clientID
    const seedClient = deterministic ? seedClientId(`${id}\u0000${JSON.stringify(richText)}\u0000${left ? `${left.id.client}:${left.id.clock}` : ''}`) : own
    let fragment!: Y.XmlFragment
    doc.transact(() => {
      // Yjs names new items after doc.clientID; borrowing the derived id for this one write makes
      // every client's seed of the same label from the same JSON the same items (see above).
      doc.clientID = seedClient
      try {
        const entry = new Y.Map<unknown>()
        texts.set(id, entry)
        fragment = new Y.XmlFragment()
        entry.set(FRAGMENT, fragment)
        fillFragment(fragment, richText)
        entry.set(COMMITTED, richText)
      } finally {
        doc.clientID = own
      }
    }, origin)
    return fragment
  }

  function commit(id: string) {
    dirty.delete(id)
    const yProps = propsOf(id)
    if (!yProps) return
    const current = plain(yProps.get('richText'))
    const fresh = freshEntry(id, current)
    if (!fresh) return
    const text = richTextFromFragment(fresh.fragment)
    if (isRichText(current) && jsonEqual(normalizeRichText(current), text)) return
    doc.transact(() => {
      yProps.set('richText', text)
      fresh.entry.set(COMMITTED, text)
    }, origin)
  }

  function scheduleCommit() {
    if (commitScheduled) return
    commitScheduled = true
    host.scheduleCommit(() => {
      commitScheduled = false
      commitPending()
    })
  }

  function commitPending() {
    for (const id of [...dirty]) commit(id)
  }

  const onTexts = (events: Array<Y.YEvent<any>>, transaction: Y.Transaction) => {
    if (transaction.origin === origin) return
    const ids = new Set<string>()
    const replaced = new Set<string>()
    for (const event of events) {
      if (event.target === texts) {
        for (const key of (event as Y.YMapEvent<unknown>).keysChanged) {
          ids.add(key)
          replaced.add(key)
        }
      } else {
        ids.add(String(event.path[0]))
      }
    }
    if (transaction.local) {
      // Typing through a bound editor (y-prosemirror's own transactions).
      for (const id of ids) {
        dirty.add(id)
        participated.add(id)
      }
      scheduleCommit()
      return
    }
    const refresh: string[] = []
    for (const id of ids) {
      if (bound.has(id)) {
        if (replaced.has(id)) host.onRebind(id)
      } else {
        refresh.push(id)
      }
      if (participated.has(id)) dirty.add(id)
    }
    if (refresh.length) host.onRemoteText(refresh)
    if (dirty.size) scheduleCommit()
  }
  texts.observeDeep(onTexts)

  return {
    readRichText(id, docRichText) {
      const fresh = freshEntry(id, docRichText)
      if (!fresh) return docRichText
      const text = richTextFromFragment(fresh.fragment)
      // Keep the record's own form when it says the same (it is what its writer put in the store).
      return isRichText(docRichText) && jsonEqual(normalizeRichText(docRichText), text) ? docRichText : text
    },
    isBound: (id) => bound.has(id),
    bind(id, richText) {
      bound.set(id, (bound.get(id) ?? 0) + 1)
      participated.add(id)
      const yProps = propsOf(id)
      const docRichText = yProps ? plain(yProps.get('richText')) : undefined
      const fresh = yProps ? freshEntry(id, docRichText) : freshEntry(id, undefined)
      if (fresh) return fresh.fragment
      const source = isRichText(docRichText) ? docRichText : isRichText(richText) ? richText : { type: 'doc', content: [] }
      // A shape not in the doc yet is new: nobody else can be seeding it.
      return seed(id, source, yProps !== undefined)
    },
    unbind(id) {
      const left = (bound.get(id) ?? 1) - 1
      if (left > 0) return void bound.set(id, left)
      bound.delete(id)
      commit(id)
    },
    writeLocal(id, yProps, richText) {
      const current = plain(yProps.get('richText'))
      const fresh = freshEntry(id, current)
      if (!fresh || !isRichText(richText)) {
        yProps.set('richText', richText)
        return
      }
      patchFragment(fresh.fragment, richText)
      const text = richTextFromFragment(fresh.fragment)
      yProps.set('richText', text)
      fresh.entry.set(COMMITTED, text)
    },
    richTextForNewRecord(id, richText) {
      if (!bound.has(id)) return richText
      const fresh = freshEntry(id, undefined)
      return fresh ? richTextFromFragment(fresh.fragment) : richText
    },
    afterNewRecord(id) {
      const fresh = bound.has(id) ? freshEntry(id, undefined) : null
      const yProps = propsOf(id)
      if (fresh && yProps) fresh.entry.set(COMMITTED, plain(yProps.get('richText')))
    },
    deleted(id) {
      bound.delete(id)
      dirty.delete(id)
      if (texts.has(id)) texts.delete(id)
    },
    commitPending,
    dispose() {
      texts.unobserveDeep(onTexts)
    },
  }
}

/** A Yjs client id (uint32) from a string: FNV-1a. Collisions with real clients are as likely as between two of them. */
function seedClientId(key: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}
