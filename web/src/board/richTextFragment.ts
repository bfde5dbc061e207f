import * as Y from 'yjs'
import { jsonEqual } from './recordCodec.ts'

/**
 * tldraw's rich text (TipTap/ProseMirror JSON) held as a Y.XmlFragment, in the layout the TipTap
 * collaboration extension (y-prosemirror) reads and writes, so a label's editor can be bound to it
 * and concurrent typing merges per character:
 *
 *   block node  -> Y.XmlElement named after the node type, its non-null attrs as attributes
 *   text runs   -> one Y.XmlText per run of adjacent text nodes; each mark is a formatting
 *                  attribute named after the mark type whose value is the mark's attrs ({} if none)
 *
 * Conversion needs no ProseMirror schema: it copies what the JSON says. That keeps it usable in Node
 * (the binding's tests, the benchmark, Node clients) and makes seeding a pure function of the JSON,
 * which deterministic seeding (labelText.ts) relies on.
 */

/** A ProseMirror JSON node as tldraw stores it in `props.richText` (the root has type 'doc'). */
export interface RichTextNode {
  type: string
  attrs?: Record<string, unknown>
  content?: RichTextNode[]
  text?: string
  marks?: RichTextMark[]
}

/** A ProseMirror JSON mark. */
export interface RichTextMark {
  type: string
  attrs?: Record<string, unknown>
}

/** Whether a value looks like tldraw's richText: an object with type 'doc'. */
export function isRichText(value: unknown): value is RichTextNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && (value as RichTextNode).type === 'doc'
}

/**
 * Appends the content of `richText` (a 'doc' node) to `fragment`. The fragment may be new and not
 * yet in a document (Yjs keeps the content until it is integrated) or already integrated.
 */
export function fillFragment(fragment: Y.XmlFragment, richText: RichTextNode): void {
  const nodes = toYNodes(richText.content ?? [])
  if (nodes.length) fragment.insert(fragment.length, nodes)
}

function toYNodes(children: RichTextNode[]): Array<Y.XmlElement | Y.XmlText> {
  const out: Array<Y.XmlElement | Y.XmlText> = []
  let run: RichTextNode[] = []
  const endRun = () => {
    if (run.length) out.push(textOf(run))
    run = []
  }
  for (const child of children) {
    if (child.type === 'text') {
      if (typeof child.text === 'string' && child.text.length) run.push(child)
      continue
    }
    endRun()
    out.push(elementOf(child))
  }
  endRun()
  return out
}

function elementOf(node: RichTextNode): Y.XmlElement {
  const element = new Y.XmlElement(node.type)
  for (const [key, value] of Object.entries(node.attrs ?? {})) {
    // y-prosemirror leaves null attributes out; ProseMirror fills them back in from the schema.
    if (value !== null && value !== undefined) element.setAttribute(key, value as string)
  }
  const children = toYNodes(node.content ?? [])
  if (children.length) element.insert(0, children)
  return element
}

function textOf(run: RichTextNode[]): Y.XmlText {
  const text = new Y.XmlText()
  let at = 0
  for (const node of run) {
    // Always pass the attributes (even {}): without them Yjs would extend the previous run's marks.
    text.insert(at, node.text!, marksToAttributes(node.marks))
    at += node.text!.length
  }
  return text
}

function marksToAttributes(marks: RichTextMark[] | undefined): Record<string, unknown> {
  const attributes: Record<string, unknown> = {}
  for (const mark of marks ?? []) attributes[mark.type] = mark.attrs ?? {}
  return attributes
}

/** y-prosemirror names overlapping marks `<type>--<8-character hash>`; the mark type is the part before. */
const HASHED_MARK = /^(.*)--[a-zA-Z0-9+/=]{8}$/

/** The fragment's content as tldraw richText ('doc' JSON), in {@link normalizeRichText}'s form. */
export function richTextFromFragment(fragment: Y.XmlFragment): RichTextNode {
  return { type: 'doc', content: fromYNodes(fragment.toArray()) }
}

function fromYNodes(children: Array<Y.XmlElement | Y.XmlText | Y.XmlHook>): RichTextNode[] {
  const out: RichTextNode[] = []
  for (const child of children) {
    if (child instanceof Y.XmlText) {
      for (const op of child.toDelta() as Array<{ insert: unknown; attributes?: Record<string, unknown> }>) {
        if (typeof op.insert !== 'string' || !op.insert.length) continue
        const node: RichTextNode = { type: 'text', text: op.insert }
        const marks = Object.entries(op.attributes ?? {}).map(([name, attrs]) => {
          const mark: RichTextMark = { type: HASHED_MARK.exec(name)?.[1] ?? name }
          if (isNonEmptyObject(attrs)) mark.attrs = attrs
          return mark
        })
        if (marks.length) node.marks = marks
        out.push(node)
      }
    } else if (child instanceof Y.XmlElement) {
      const node: RichTextNode = { type: child.nodeName }
      const attrs = child.getAttributes()
      if (Object.keys(attrs).length) node.attrs = attrs
      const content = fromYNodes(child.toArray())
      if (content.length) node.content = content
      out.push(node)
    }
  }
  return out
}

/**
 * The form {@link richTextFromFragment} reads back for this JSON: null node attributes, empty attrs,
 * content and marks left out, empty text nodes dropped, adjacent text nodes with the same marks
 * joined. Two richTexts with equal normal forms show the same text.
 */
export function normalizeRichText(node: RichTextNode): RichTextNode {
  const out: RichTextNode = { type: node.type }
  if (node.type === 'text') {
    out.text = node.text ?? ''
    const marks = (node.marks ?? []).map((mark) => (isNonEmptyObject(mark.attrs) ? { type: mark.type, attrs: mark.attrs } : { type: mark.type }))
    if (marks.length) out.marks = marks
    return out
  }
  const attrs = Object.fromEntries(Object.entries(node.attrs ?? {}).filter(([, value]) => value !== null && value !== undefined))
  if (Object.keys(attrs).length) out.attrs = attrs
  const content: RichTextNode[] = []
  for (const child of node.content ?? []) {
    const normal = normalizeRichText(child)
    if (normal.type === 'text' && !normal.text) continue
    const last = content.at(-1)
    if (normal.type === 'text' && last?.type === 'text' && jsonEqual(last.marks, normal.marks)) last.text += normal.text!
    else content.push(normal)
  }
  if (content.length || node.type === 'doc') out.content = content
  return out
}

/**
 * Makes `fragment` hold `richText`, touching as little as it can: blocks equal at the start and the
 * end are kept, and a single changed paragraph of unmarked text gets a character-level edit. Used for
 * text changes that do not come from a bound editor (an import, a script through the store), which
 * are rare; typing goes through y-prosemirror.
 */
export function patchFragment(fragment: Y.XmlFragment, richText: RichTextNode): void {
  const next = normalizeRichText(richText).content ?? []
  const current = richTextFromFragment(fragment).content ?? []
  let start = 0
  while (start < current.length && start < next.length && jsonEqual(current[start], next[start])) start++
  let end = 0
  while (
    end < current.length - start &&
    end < next.length - start &&
    jsonEqual(current[current.length - 1 - end], next[next.length - 1 - end])
  ) {
    end++
  }
  const removed = current.length - start - end
  const added = next.slice(start, next.length - end)
  if (removed === 1 && added.length === 1 && patchPlainParagraph(fragment.get(start), current[start], added[0])) return
  if (removed > 0) fragment.delete(start, removed)
  const nodes = toYNodes(added)
  if (nodes.length) fragment.insert(start, nodes)
}

/** A paragraph of one unmarked text run whose text changed: replace only the differing middle. */
function patchPlainParagraph(yNode: unknown, before: RichTextNode, after: RichTextNode): boolean {
  const plain = (node: RichTextNode) =>
    node.type === after.type &&
    jsonEqual(node.attrs, after.attrs) &&
    (node.content ?? []).length <= 1 &&
    (node.content ?? []).every((child) => child.type === 'text' && !child.marks)
  if (!(yNode instanceof Y.XmlElement) || !plain(before) || !plain(after)) return false
  const yText = yNode.get(0)
  const was = before.content?.[0]?.text ?? ''
  const now = after.content?.[0]?.text ?? ''
  if (!(yText instanceof Y.XmlText)) {
    if (yNode.length) return false
    yNode.insert(0, [textOf([{ type: 'text', text: now }])])
    return true
  }
  let prefix = 0
  while (prefix < was.length && prefix < now.length && was[prefix] === now[prefix]) prefix++
  let suffix = 0
  while (suffix < was.length - prefix && suffix < now.length - prefix && was[was.length - 1 - suffix] === now[now.length - 1 - suffix]) suffix++
  if (was.length - prefix - suffix > 0) yText.delete(prefix, was.length - prefix - suffix)
  if (now.length - prefix - suffix > 0) yText.insert(prefix, now.slice(prefix, now.length - suffix), {})
  return true
}

function isNonEmptyObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.keys(value).length > 0
}
