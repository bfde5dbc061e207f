import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as Y from 'yjs';
import {
  MAX_RECORD_DEPTH,
  MAX_TLDR_FILE_BYTES,
  MAX_TLDR_RECORDS,
  TldrFileError,
  parseTldrFile,
  tldrFileToBoardUpdate,
  tldrToBoardUpdate,
  validateTldrFile,
} from '../src/workspace/tldr-document.ts';
import { SHIPPED_TEMPLATES_DIRECTORY, loadShippedTemplates } from '../src/workspace/templates.ts';
import { MAX_TITLE_CHARS } from '../src/workspace/board-title.ts';
import { seededRandom } from './random.ts';

type Json = Record<string, any>;

const TEMPLATE_IDS = ['brainstorm', 'kanban', 'retrospective', 'user-flow', 'weekly-planning'];

async function shippedFile(id: string): Promise<Json> {
  return JSON.parse(await readFile(join(SHIPPED_TEMPLATES_DIRECTORY, `${id}.tldr`), 'utf8'));
}

function docOf(update: Uint8Array): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, update);
  return doc;
}

const SCHEMA = { schemaVersion: 2, sequences: { 'com.tldraw.shape.draw': 5 } };
const PATH = 'AAAAAAAAAAAASQBFAEkARw==';
const document = (name: string) => ({ id: 'document:document', typeName: 'document', gridSize: 10, name, meta: {} });
const page = { id: 'page:page', typeName: 'page', name: 'Page 1', index: 'a1', meta: {} };
const drawShape = {
  id: 'shape:stroke', typeName: 'shape', type: 'draw', parentId: 'page:page', index: 'a1', x: 10, y: 20, rotation: 0,
  isLocked: false, opacity: 1, meta: {},
  props: {
    segments: [{ type: 'free', path: PATH, dim: 2 }, { type: 'straight', path: PATH }],
    color: 'black', fill: 'none', dash: 'draw', size: 'm', isComplete: true, isClosed: false, isPen: false, scale: 1,
    scaleX: 1, scaleY: 1,
  },
};

/** A hand-made file with a stroke (no template has one) and a saver's session records, as tldraw writes them. */
function fileWithStroke(name = 'Sketch'): Json {
  return {
    tldrawFileFormatVersion: 1,
    schema: SCHEMA,
    records: [
      document(name), page, drawShape,
      { id: 'instance:instance', typeName: 'instance', currentPageId: 'page:page' },
      { id: 'camera:page:page', typeName: 'camera', x: 0, y: 0, z: 1, meta: {} },
      { id: 'instance_page_state:page:page', typeName: 'instance_page_state', pageId: 'page:page' },
      { id: 'pointer:pointer', typeName: 'pointer', x: 0, y: 0 },
      { id: 'instance_presence:someone', typeName: 'instance_presence', userName: 'someone' },
      { id: 'user:someone', typeName: 'user', name: 'someone' },
    ],
  };
}

test('every shipped template loads, sorted by id, titled by its document name', async () => {
  const templates = await loadShippedTemplates();
  assert.deepEqual(templates.map((t) => t.id), TEMPLATE_IDS.map((id) => `template-${id}`));
  for (const [i, template] of templates.entries()) {
    const file = await shippedFile(TEMPLATE_IDS[i]);
    assert.equal(template.title, file.records.find((r: Json) => r.id === 'document:document').name);
    assert.ok(template.title.length > 0 && template.title.length <= MAX_TITLE_CHARS);
    assert.ok(template.update instanceof Uint8Array);
  }
});

test('a template becomes a board document holding exactly its records, in the documented layout', async () => {
  for (const id of TEMPLATE_IDS) {
    const file = await shippedFile(id);
    const doc = docOf(tldrToBoardUpdate(JSON.stringify(file)).update);
    const records = doc.getMap<Y.Map<unknown>>('records');
    assert.deepEqual([...records.keys()].sort(), file.records.map((r: Json) => r.id).sort(), id);
    for (const record of file.records) {
      const yRecord = records.get(record.id);
      assert.ok(yRecord instanceof Y.Map, `${record.id} is a Y.Map`);
      assert.deepEqual(yRecord.toJSON(), record, `${id}: ${record.id} reads back unchanged`);
      if ('props' in record) assert.ok(yRecord.get('props') instanceof Y.Map, `${record.id}: props is a Y.Map`);
    }
    const meta = doc.getMap('meta');
    assert.equal(meta.get('formatVersion'), 1);
    assert.deepEqual(meta.get('schema'), file.schema);
    assert.equal(meta.get('title'), file.records[0].name);
    assert.deepEqual([...meta.keys()].sort(), ['formatVersion', 'schema', 'title']);
  }
});

test('the templates hold only board records, and every arrow of the user flow is bound to two shapes', async () => {
  for (const id of TEMPLATE_IDS) {
    const file = await shippedFile(id);
    assert.equal(file.tldrawFileFormatVersion, 1);
    for (const record of file.records) assert.ok(['document', 'page', 'shape', 'binding', 'asset'].includes(record.typeName), record.id);
    assert.ok(file.records.filter((r: Json) => r.typeName === 'shape').length >= 5, `${id} has content`);
  }
  const flow = await shippedFile('user-flow');
  const shapeIds = new Set(flow.records.filter((r: Json) => r.typeName === 'shape').map((r: Json) => r.id));
  const arrows = flow.records.filter((r: Json) => r.typeName === 'shape' && r.type === 'arrow');
  assert.ok(arrows.length >= 5);
  for (const arrow of arrows) {
    const bindings = flow.records.filter((r: Json) => r.typeName === 'binding' && r.fromId === arrow.id);
    assert.deepEqual(bindings.map((b: Json) => b.props.terminal).sort(), ['end', 'start'], arrow.id);
    for (const binding of bindings) assert.ok(shapeIds.has(binding.toId) && binding.toId !== arrow.id);
  }
  assert.ok(arrows.some((a: Json) => a.props.richText.content[0].content?.[0]?.text), 'some arrows are labelled');
});

test('a stroke is stored as segments of Y.Maps whose path is a Y.Text; session records are dropped', () => {
  const doc = docOf(tldrToBoardUpdate(JSON.stringify(fileWithStroke())).update);
  const records = doc.getMap<Y.Map<any>>('records');
  assert.deepEqual([...records.keys()].sort(), ['document:document', 'page:page', 'shape:stroke']);
  const segments = records.get('shape:stroke')!.get('props').get('segments');
  assert.ok(segments instanceof Y.Array);
  assert.equal(segments.length, 2);
  for (const segment of segments) {
    assert.ok(segment instanceof Y.Map);
    assert.ok(segment.get('path') instanceof Y.Text);
    assert.equal(segment.get('path').toString(), PATH);
  }
  assert.deepEqual(records.get('shape:stroke')!.toJSON(), drawShape);
  assert.equal(doc.getMap('meta').get('title'), 'Sketch');
});

test('the title is the document name stored as a rename stores it, cut to 200 characters, and absent when empty', () => {
  const titleOf = (name: string) => docOf(tldrToBoardUpdate(JSON.stringify(fileWithStroke(name))).update).getMap('meta').get('title');
  assert.equal(titleOf('  Plans  '), 'Plans');
  assert.equal(titleOf('Q3\n\tplanning   board'), 'Q3 planning board', 'whitespace runs become one space, as a rename stores them');
  assert.equal(titleOf('   '), undefined);
  assert.equal(titleOf(''), undefined);
  assert.equal(titleOf('x'.repeat(MAX_TITLE_CHARS + 1)), 'x'.repeat(MAX_TITLE_CHARS));
  // An emoji is two UTF-16 units: after one 'a', the 100th emoji would straddle the limit and is dropped whole.
  assert.equal(titleOf(`a${'🙂'.repeat(MAX_TITLE_CHARS)}`), `a${'🙂'.repeat(MAX_TITLE_CHARS / 2 - 1)}`, 'never half an emoji');
  const withoutDocument = { ...fileWithStroke(), records: [page, drawShape] };
  assert.equal(docOf(tldrFileToBoardUpdate(validateTldrFile(withoutDocument))).getMap('meta').get('title'), undefined);
});

test('garbage is refused with a TldrFileError saying what is wrong', () => {
  const valid = () => fileWithStroke();
  const cases: [string, string | Uint8Array, RegExp][] = [
    ['not JSON', '{"tldrawFileFormatVersion": 1,', /not valid JSON/],
    ['not UTF-8', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), /not valid JSON/],
    ['a list', '[]', /expected a JSON object/],
    ['null', 'null', /expected a JSON object/],
    ['a string', '"hello"', /expected a JSON object/],
    ['an empty object', '{}', /"tldrawFileFormatVersion" is missing or not 1/],
    ['version as text', JSON.stringify({ ...valid(), tldrawFileFormatVersion: '1' }), /is missing or not 1/],
    ['a newer version', JSON.stringify({ ...valid(), tldrawFileFormatVersion: 2 }), /format 2, newer than this server reads/],
    ['no schema', JSON.stringify({ ...valid(), schema: undefined }), /"schema" is missing/],
    ['schema not an object', JSON.stringify({ ...valid(), schema: [1] }), /"schema" is missing/],
    ['records an object', JSON.stringify({ ...valid(), records: { 'page:page': page } }), /"records" is missing or is not a list/],
    ['a record that is not an object', JSON.stringify({ ...valid(), records: [page, 3] }), /record 2 is not an object/],
    ['a record without id', JSON.stringify({ ...valid(), records: [{ typeName: 'page' }] }), /record 1 has no "id"/],
    ['a record without typeName', JSON.stringify({ ...valid(), records: [{ id: 'page:x' }] }), /record 1 \(page:x\) has no "typeName"/],
    ['a record type no board holds', JSON.stringify({ ...valid(), records: [{ id: 'comment:1', typeName: 'comment' }] }), /type "comment", which a board cannot hold/],
    ['an id of another type', JSON.stringify({ ...valid(), records: [{ ...page, id: 'shape:page' }] }), /does not start with "page:"/],
    ['an id twice', JSON.stringify({ ...valid(), records: [page, page] }), /"page:page" appears twice/],
    ['too deep', JSON.stringify({ ...valid(), records: [{ ...page, meta: nested(MAX_RECORD_DEPTH + 10) }] }), /nests deeper than/],
    ['too many records', JSON.stringify({ ...valid(), records: Array.from({ length: MAX_TLDR_RECORDS + 1 }, () => ({})) }), /records; the limit is/],
    ['too big', ' '.repeat(MAX_TLDR_FILE_BYTES + 1), /MB; the limit is 16.0 MB/],
  ];
  for (const [name, input, message] of cases) {
    assert.throws(
      () => tldrToBoardUpdate(input),
      (error: unknown) => error instanceof TldrFileError && error.name === 'TldrFileError' && message.test(error.message),
      name,
    );
  }
});

/** `{ a: { a: ... } }`, `depth` levels deep. */
function nested(depth: number): Json {
  let value: Json = {};
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

test('randomly damaged template files either convert or throw a TldrFileError, never anything else', async () => {
  const random = seededRandom('14').next;
  const junk = [null, true, 0, -1, 1e308, '', 'x', [], {}, [[]], { id: 1 }, { typeName: 'shape' }, { id: 'shape:x', typeName: 'shape' }];
  const files = await Promise.all(TEMPLATE_IDS.map(shippedFile));
  for (let round = 0; round < 300; round++) {
    const file = structuredClone(files[round % files.length]);
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
    // Replace a whole record, one of its fields or a prop, or a top-level field, with junk.
    const record = pick(file.records as Json[]);
    const target = pick([file, record, record.props ?? record]);
    target[pick(Object.keys(target))] = structuredClone(pick(junk));
    const text = round % 7 === 0 ? JSON.stringify(file).slice(0, Math.floor(random() * 2000)) : JSON.stringify(file);
    try {
      docOf(tldrToBoardUpdate(text).update);
    } catch (error) {
      assert.ok(error instanceof TldrFileError, `round ${round}: ${String(error)}`);
    }
  }
});

test('loading templates names a broken file, and titles an untitled one by its file name', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'scrawl-templates-'));
  try {
    await writeFile(join(directory, 'untitled.tldr'), JSON.stringify(fileWithStroke('')));
    await writeFile(join(directory, 'notes.txt'), 'not a template');
    assert.deepEqual((await loadShippedTemplates(directory)).map(({ id, title }) => ({ id, title })), [{ id: 'template-untitled', title: 'untitled' }]);

    await writeFile(join(directory, 'broken.tldr'), '{"records": []}');
    await assert.rejects(loadShippedTemplates(directory), (error: unknown) =>
      error instanceof TldrFileError && /^broken\.tldr is not a usable tldraw file: "tldrawFileFormatVersion"/.test(error.message));
    assert.deepEqual((await readdir(directory)).sort(), ['broken.tldr', 'notes.txt', 'untitled.tldr']);
  } finally {
    await rm(directory, { recursive: true });
  }
});

test('parseTldrFile accepts the bytes of a file as well as its text', async () => {
  const bytes = await readFile(join(SHIPPED_TEMPLATES_DIRECTORY, 'kanban.tldr'));
  assert.deepEqual(parseTldrFile(bytes), parseTldrFile(bytes.toString('utf8')));
  assert.deepEqual(parseTldrFile(bytes).records, (await shippedFile('kanban')).records);
});
