/**
 * The big board (board-records.ts) written into a Y.Doc the way docs/document-schema.md tells another app to write
 * one, and the way Scrawl's own client leaves a board its people typed into:
 * - a `records` Y.Map with one Y.Map per tldraw record (`props` a nested Y.Map; a draw shape's `props.segments` a
 *   Y.Array of Y.Maps whose `path` is a Y.Text), bindings included;
 * - `meta` holding `formatVersion` and tldraw's serialized schema;
 * - `texts`: for every labelled shape, the label as the app keeps text typed per character since issue 17: a Y.Map
 *   whose `fragment` is a Y.XmlFragment (a `paragraph` Y.XmlElement holding one Y.XmlText) and whose `committed` is
 *   the JSON equal to `props.richText`, so the app reads the label from the fragment, as it does for typed labels.
 */
import * as Y from 'yjs';
import type { TLRecord } from '@tldraw/tlschema';
import { boardRecords } from './board-records.ts';

/** One record as docs/document-schema.md lays it out. */
function recordMap(record: TLRecord): Y.Map<unknown> {
  const map = new Y.Map<unknown>();
  for (const [key, value] of Object.entries(record)) {
    if (key !== 'props') {
      map.set(key, value);
      continue;
    }
    const props = new Y.Map<unknown>();
    for (const [prop, propValue] of Object.entries(value as Record<string, unknown>)) {
      if (prop === 'segments' && (record as { type?: string }).type === 'draw') {
        const segments = new Y.Array<Y.Map<unknown>>();
        segments.push((propValue as Array<Record<string, unknown>>).map((segment) => {
          const s = new Y.Map<unknown>();
          for (const [k, v] of Object.entries(segment)) s.set(k, k === 'path' ? new Y.Text(v as string) : v);
          return s;
        }));
        props.set(prop, segments);
      } else {
        props.set(prop, propValue);
      }
    }
    map.set('props', props);
  }
  return map;
}

/** The plain text of a one-paragraph rich text (board-records.ts writes only such labels). */
function plainText(richText: unknown): string {
  const paragraph = (richText as { content?: Array<{ content?: Array<{ text?: string }> }> }).content?.[0];
  return (paragraph?.content ?? []).map((run) => run.text ?? '').join('');
}

/** The `texts` entry of a label typed in Scrawl: its fragment, and `committed` equal to the record's richText. */
function labelEntry(richText: unknown): Y.Map<unknown> {
  const entry = new Y.Map<unknown>();
  const fragment = new Y.XmlFragment();
  const paragraph = new Y.XmlElement('paragraph');
  paragraph.insert(0, [new Y.XmlText(plainText(richText))]);
  fragment.insert(0, [paragraph]);
  entry.set('fragment', fragment);
  entry.set('committed', richText);
  return entry;
}

/** Writes the board of `count` shapes into `doc` in one transaction; returns how many records the doc then holds. */
export function writeBoard(doc: Y.Doc, count: number): { records: number; labels: number } {
  const { records, schema, labelled } = boardRecords(count);
  const byId = new Map(records.map((record) => [record.id as string, record]));
  doc.transact(() => {
    const meta = doc.getMap('meta');
    meta.set('formatVersion', 1);
    meta.set('schema', schema);
    const map = doc.getMap('records');
    for (const record of records) map.set(record.id, recordMap(record));
    const texts = doc.getMap('texts');
    for (const id of labelled) texts.set(id, labelEntry((byId.get(id) as { props: { richText: unknown } }).props.richText));
  });
  return { records: records.length, labels: labelled.length };
}
