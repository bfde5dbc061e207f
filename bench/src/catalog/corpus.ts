/**
 * A store full of small boards for the catalog scenario: 10,000 documents in the layout of docs/document-schema.md
 * (`meta.title`, `meta.schema`, a `records` Y.Map of Y.Maps with `props` nested), each with 3-8 geo, note, text and
 * frame shapes whose `props.richText` holds words from a vocabulary. Words are drawn with Zipf's law (rank r with
 * weight 1/r), as in real text, so a query for a common word matches thousands of boards and one for a word near the
 * end of the list a few dozen; a handful of rare words sit on exactly 3 boards each, for searches that find almost
 * nothing. Deterministic (a seeded generator per board), so every run searches the same corpus.
 *
 * Each board is written as a client's first edits reach the store: two appends (document, page and meta first, then
 * the shapes) through the store's own `append`, so the catalog later builds its entries from a snapshot-less log.
 */
import { createTLSchema } from '@tldraw/tlschema';
import * as Y from 'yjs';
import type { DocStore } from '../../../server/src/persistence/doc-store.ts';

/** Vocabulary, most common first (Zipf rank = position + 1). */
const WORDS = `customer feedback roadmap design launch review team users sprint metrics idea problem goal priority
  research interview onboarding pricing product market growth retention experiment hypothesis insight persona journey
  workshop backlog estimate risk dependency deadline milestone release quality testing bug fix performance latency
  server client mobile desktop browser dashboard report analytics funnel conversion signup checkout payment invoice
  subscription renewal churn support ticket escalation incident postmortem outage alert monitoring deploy pipeline
  build staging production database migration schema index cache queue worker scaling capacity budget forecast revenue
  cost margin hiring interviewing culture values offsite retro planning standup demo showcase stakeholder sponsor
  approval contract legal privacy security compliance audit accessibility localization translation content copy
  illustration typography palette layout wireframe prototype mockup component token spacing grid navigation search
  filter sorting pagination notification email newsletter campaign social video podcast webinar conference partner
  integration api webhook sdk documentation tutorial guide faq glossary vision mission strategy objective result
  initiative theme epic story task subtask owner assignee reviewer blocker question answer decision tradeoff option
  alternative proposal draft final version archive template kanban column swimlane lane card sticky arrow diagram
  flowchart sequence state machine entity relation timeline calendar schedule quarter month week weekend holiday
  travel budgeting expense receipt vendor supplier inventory warehouse shipping delivery tracking return refund
  discount coupon loyalty referral ambassador community forum moderation spam abuse trust safety ranking relevance
  recommendation personalization segment cohort survey poll score rating review sentiment churned activated engaged
  dormant power novice expert admin editor viewer guest permission role policy quota limit threshold`.split(/\s+/).filter(Boolean);

/** Words each placed on exactly 3 of 10,000 boards (boards 17k, 17k + 3331, 17k + 6662 for the k-th word). */
export const RARE_WORDS = ['zeppelin', 'quokka', 'marzipan', 'xylophone', 'obsidian', 'kumquat', 'fjordland', 'tamarind'];
const RARE_PERIOD = 3331;

const BOARD_KINDS = ['retro', 'planning', 'brainstorm', 'notes', 'kanban', 'workshop', 'review', 'map'];
const COLORS = ['black', 'blue', 'green', 'red', 'orange', 'violet', 'light-blue', 'yellow'] as const;

/** Cumulative Zipf weights over WORDS, for sampling by binary search. */
const CUMULATIVE = (() => {
  let sum = 0;
  return WORDS.map((_, rank) => (sum += 1 / (rank + 1)));
})();

/** mulberry32: a small seeded generator, so board i is the same board in every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function zipfWord(random: () => number): string {
  const x = random() * CUMULATIVE[CUMULATIVE.length - 1];
  let lo = 0;
  let hi = CUMULATIVE.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (CUMULATIVE[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return WORDS[lo];
}

function phrase(random: () => number, min: number, max: number): string {
  const count = min + Math.floor(random() * (max - min + 1));
  return Array.from({ length: count }, () => zipfWord(random)).join(' ');
}

const richText = (text: string) => ({ type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] });

/** A shape record with the fields every shape has, placed on a 4-column grid. */
function shape(s: number, id: string, type: string, props: Record<string, unknown>): Record<string, unknown> {
  return {
    id, typeName: 'shape', type, parentId: 'page:page', index: `a${s + 1}`, rotation: 0, isLocked: false, opacity: 1,
    meta: {}, x: (s % 4) * 260, y: Math.floor(s / 4) * 220, props,
  };
}

function note(s: number, id: string, color: string, text: string): Record<string, unknown> {
  return shape(s, id, 'note', {
    color, labelColor: 'black', size: 'm', font: 'draw', fontSizeAdjustment: 0, align: 'middle', verticalAlign: 'middle',
    growY: 0, url: '', scale: 1, textLastEditedBy: null, richText: richText(text),
  });
}

/** The tldraw records (plain JSON) of board `i`, its title and the texts on it. */
export function boardRecords(i: number): { title: string; records: Array<Record<string, unknown>>; texts: string[] } {
  const random = seeded(i * 2654435761 + 1);
  const title = random() < 0.1 ? '' : `${zipfWord(random).replace(/^./, (c) => c.toUpperCase())} ${BOARD_KINDS[Math.floor(random() * BOARD_KINDS.length)]}`;
  const records: Array<Record<string, unknown>> = [
    { id: 'document:document', typeName: 'document', gridSize: 10, name: '', meta: {} },
    { id: 'page:page', typeName: 'page', name: 'Page 1', index: 'a1', meta: {} },
  ];
  const texts: string[] = [];
  const shapes = 3 + Math.floor(random() * 6);
  for (let s = 0; s < shapes; s++) {
    const color = COLORS[Math.floor(random() * COLORS.length)];
    const id = `shape:s${s}`;
    const kind = random();
    let text: string;
    if (kind < 0.4) {
      text = phrase(random, 2, 5);
      records.push(shape(s, id, 'geo', {
        geo: 'rectangle', w: 240, h: 120, color, labelColor: 'black', fill: 'semi', dash: 'draw', size: 'm', font: 'draw',
        align: 'middle', verticalAlign: 'middle', growY: 0, url: '', scale: 1, flipX: false, flipY: false, richText: richText(text),
      }));
    } else if (kind < 0.8) {
      text = phrase(random, 5, 14);
      records.push(note(s, id, color, text));
    } else if (kind < 0.95) {
      text = phrase(random, 3, 8);
      records.push(shape(s, id, 'text', { color, size: 'm', font: 'draw', textAlign: 'start', w: 200, scale: 1, autoSize: true, richText: richText(text) }));
    } else {
      text = phrase(random, 1, 2);
      records.push(shape(s, id, 'frame', { w: 800, h: 600, name: text, color: 'black' }));
    }
    texts.push(text);
  }
  const rare = RARE_WORDS.findIndex((_, k) => i % RARE_PERIOD === 17 * (k + 1));
  if (rare >= 0) {
    const text = `${phrase(random, 2, 4)} ${RARE_WORDS[rare]}`;
    records.push(note(shapes, 'shape:rare', 'yellow', text));
    texts.push(text);
  }
  return { title, records, texts };
}

const schema = createTLSchema();
const serializedSchema = schema.serialize();

/** One record as docs/document-schema.md lays it out: a Y.Map per record, `props` a nested Y.Map. */
function recordMap(record: Record<string, unknown>): Y.Map<unknown> {
  const map = new Y.Map<unknown>();
  for (const [key, value] of Object.entries(record)) {
    map.set(key, key === 'props' ? new Y.Map(Object.entries(value as Record<string, unknown>)) : value);
  }
  return map;
}

/** Board `i` as its two stored updates (document + page + meta, then the shapes), with its words for the statistics. */
export function boardUpdates(i: number, validate = false): { updates: Uint8Array[]; words: Set<string> } {
  const { title, records, texts } = boardRecords(i);
  if (validate) for (const record of records) schema.types[record.typeName as 'shape'].validate(record as never);
  const doc = new Y.Doc();
  const map = doc.getMap('records');
  doc.transact(() => {
    const meta = doc.getMap('meta');
    meta.set('formatVersion', 1);
    meta.set('schema', serializedSchema);
    if (title) meta.set('title', title);
    for (const record of records.slice(0, 2)) map.set(record.id as string, recordMap(record));
  });
  const first = Y.encodeStateAsUpdate(doc);
  const before = Y.encodeStateVector(doc);
  doc.transact(() => {
    for (const record of records.slice(2)) map.set(record.id as string, recordMap(record));
  });
  const second = Y.encodeStateAsUpdate(doc, before);
  doc.destroy();
  const words = new Set<string>();
  for (const text of [title, ...texts]) for (const word of text.toLowerCase().match(/[a-z]+/g) ?? []) words.add(word);
  return { updates: [first, second], words };
}

/** What {@link writeCorpus} wrote. */
export interface Corpus {
  boards: number;
  /** Bytes of all updates appended. */
  bytes: number;
  /** How many boards hold every one of `words` (in the title or the text). */
  boardsWith(words: string[]): number;
  /** Milliseconds spent generating and appending. */
  ms: number;
}

/** The room id of board `i`. */
export const boardRoom = (i: number) => `catalog-bench-${i}`;

/**
 * Generates `count` boards and appends them to `store` (open), `batch` boards at a time: appends issued in one tick
 * are one group commit, as when many clients write at once. The first 20 boards' records are checked against
 * tldraw's schema, so the corpus is one the web app would open.
 */
export async function writeCorpus(store: DocStore, count: number, batch = 250): Promise<Corpus> {
  const started = performance.now();
  const wordsOf: Set<string>[] = [];
  let bytes = 0;
  for (let from = 0; from < count; from += batch) {
    const writes: Promise<void>[] = [];
    for (let i = from; i < Math.min(count, from + batch); i++) {
      const { updates, words } = boardUpdates(i, i < 20);
      wordsOf.push(words);
      // Not awaited one by one: appends of one caller keep their order, and the batch commits together.
      for (const update of updates) {
        bytes += update.byteLength;
        writes.push(store.append(boardRoom(i), update));
      }
    }
    await Promise.all(writes);
  }
  const ms = performance.now() - started;
  const boardsWith = (words: string[]) => wordsOf.filter((set) => words.every((w) => set.has(w))).length;
  return { boards: count, bytes, boardsWith, ms };
}
