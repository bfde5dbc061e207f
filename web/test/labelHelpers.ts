import { createShapeId, toRichText, type TLShape } from '@tldraw/tlschema'
import * as Y from 'yjs'
import { richTextFromFragment } from '../src/board/richTextFragment.ts'
import { makeClient, type Client } from './helpers.ts'

/** A client whose label-text commits run when the test says (runCommits), not on a timer. */
export interface LabelClient extends Client {
  runCommits(): void
}

/** {@link makeClient} with a manual commit scheduler. */
export function makeLabelClient(doc = new Y.Doc()): LabelClient {
  const commits: Array<() => void> = []
  const client = makeClient(doc, { scheduleTextCommit: (callback) => commits.push(callback) })
  return { ...client, runCommits: () => commits.splice(0).forEach((callback) => callback()) }
}

/** A sticky note with the given text on the seeded page. */
export function noteShape(client: Client, name: string, text: string): TLShape {
  return client.store.schema.types.shape.create({
    id: createShapeId(name),
    type: 'note',
    parentId: 'page:page',
    index: 'a1',
    props: {
      color: 'yellow', labelColor: 'black', size: 'm', font: 'draw', fontSizeAdjustment: 0, align: 'middle',
      verticalAlign: 'middle', growY: 0, url: '', scale: 1, textLastEditedBy: null, richText: toRichText(text),
    },
  } as TLShape) as TLShape
}

/** The plain text of a shape's label as a client's store shows it (paragraphs joined by newlines). */
export function labelTextIn(client: Client, name: string): string {
  const shape = client.store.get(createShapeId(name)) as { props: { richText: { content?: Array<{ content?: Array<{ text?: string }> }> } } }
  return (shape.props.richText.content ?? []).map((block) => (block.content ?? []).map((node) => node.text ?? '').join('')).join('\n')
}

/**
 * What a TipTap editor bound to a label does on one client, without a DOM: each key is one
 * transaction inserting into the label's fragment (as y-prosemirror writes it), then the editor's
 * richText goes to the store (tldraw's onUpdate) and the frame runs.
 */
export class SimulatedEditor {
  readonly fragment: Y.XmlFragment
  /** The transaction origin of this editor's typing (y-prosemirror uses its plugin key). */
  readonly origin = { editor: Math.random() }
  readonly client: Client
  readonly name: string
  constructor(client: Client, name: string) {
    this.client = client
    this.name = name
    this.fragment = client.binding.labels.bind(createShapeId(name))
  }

  /** The first paragraph's text, made if the label is empty. */
  private paragraphText(): Y.XmlText {
    let paragraph = this.fragment.get(0)
    if (!(paragraph instanceof Y.XmlElement)) {
      this.client.doc.transact(() => this.fragment.insert(0, [new Y.XmlElement('paragraph')]), this.origin)
      paragraph = this.fragment.get(0)
    }
    const element = paragraph as Y.XmlElement
    if (!(element.get(0) instanceof Y.XmlText)) this.client.doc.transact(() => element.insert(0, [new Y.XmlText()]), this.origin)
    return element.get(0) as Y.XmlText
  }

  /** The label's text as this editor sees it. */
  text(): string {
    return this.paragraphText().toString()
  }

  /** Types one character at `index` of the first paragraph (clamped to its length). */
  typeAt(index: number, char: string): void {
    const text = this.paragraphText()
    this.client.doc.transact(() => text.insert(Math.min(index, text.length), char), this.origin)
    this.toStore()
  }

  /** Types a string at the end, one key at a time. */
  typeAtEnd(chars: string): void {
    for (const char of chars) this.typeAt(Number.MAX_SAFE_INTEGER, char)
  }

  /** Types a string at the start, one key at a time, so that it reads in order. */
  typeAtStart(chars: string): void {
    ;[...chars].forEach((char, i) => this.typeAt(i, char))
  }

  /** tldraw's onUpdate: the editor's text into the store as the user's change, sent at the end of the frame. */
  toStore(): void {
    const id = createShapeId(this.name)
    const shape = this.client.store.get(id) as TLShape & { props: { richText: unknown } }
    this.client.store.put([{ ...shape, props: { ...shape.props, richText: richTextFromFragment(this.fragment) } } as TLShape])
    this.client.runFrames()
  }

  /** Editing ends (the TipTap editor is destroyed). */
  close(): void {
    this.client.binding.labels.unbind(createShapeId(this.name))
  }
}

/** A small seeded PRNG (mulberry32), so that a failing run can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const NETWORK = 'network'

/**
 * A full mesh between docs whose messages wait in per-link queues (FIFO, like a socket) until the
 * test delivers them, in an order a seeded random function picks: the shuffle of a real network.
 */
export class ShuffleNetwork {
  private readonly queues = new Map<string, Uint8Array[]>()
  private readonly docs: Y.Doc[]
  private readonly random: () => number
  constructor(docs: Y.Doc[], random: () => number) {
    this.docs = docs
    this.random = random
    // Start from a common state, as clients do after their first sync.
    for (const from of docs) for (const to of docs) if (from !== to) Y.applyUpdate(to, Y.encodeStateAsUpdate(from), NETWORK)
    docs.forEach((doc, from) => {
      doc.on('update', (update: Uint8Array, origin: unknown) => {
        if (origin === NETWORK) return
        docs.forEach((_, to) => to !== from && this.queue(from, to).push(update))
      })
    })
  }

  private queue(from: number, to: number): Uint8Array[] {
    const key = `${from}>${to}`
    let queue = this.queues.get(key)
    if (!queue) this.queues.set(key, (queue = []))
    return queue
  }

  /** Delivers the oldest message of one randomly picked link, skipping links to or from `offline`. */
  deliverOne(offline: ReadonlySet<number> = new Set()): boolean {
    const ready = [...this.queues.entries()].filter(([key, queue]) => {
      const [from, to] = key.split('>').map(Number)
      return queue.length > 0 && !offline.has(from) && !offline.has(to)
    })
    if (!ready.length) return false
    const [key, queue] = ready[Math.floor(this.random() * ready.length)]
    const to = Number(key.split('>')[1])
    Y.applyUpdate(this.docs[to], queue.shift()!, NETWORK)
    return true
  }

  /** Delivers until nothing is left (messages caused by deliveries included). */
  deliverAll(): void {
    while (this.deliverOne()) {
      // keep going
    }
  }
}
