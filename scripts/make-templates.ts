// Writes the board templates Scrawl ships, server/templates/<id>.tldr, from the layouts below.
//
//   node_modules/.bin/node scripts/make-templates.ts
//
// Each board is built in a real tldraw store (web/src/board/headlessStore.ts, tldraw's default schema), so every record
// is validated by tldraw itself as it is put, and is written as a .tldr file (tldraw's own format: tldraw opens these
// too). Ids are fixed names, not random, so regenerating an unchanged layout rewrites identical files. Before writing,
// a rough layout check refuses overlapping shapes, children sticking out of their frame and arrows crossing a box.
import { mkdirSync, writeFileSync } from 'node:fs';
import {
  DocumentRecordType,
  PageRecordType,
  TLDOCUMENT_ID,
  createBindingId,
  createShapeId,
  toRichText,
  type TLDefaultColorStyle,
  type TLDefaultSizeStyle,
  type TLPageId,
  type TLRecord,
  type TLShapeId,
} from '@tldraw/tlschema';
import type { IndexKey } from '@tldraw/utils';
import { createHeadlessStore } from '../web/src/board/headlessStore.ts';

const OUTPUT_DIRECTORY = new URL('../server/templates/', import.meta.url);

/** The page every template draws on: the id the web app seeds into an empty board, so the two never make two pages. */
const PAGE_ID = 'page:page' as TLPageId;

/** tldraw's note size at scale 1. */
const NOTE = 200;
/** The digits of tldraw's fractional index keys, in order. */
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Pixels per rem in tldraw's font size tables (FONT_SIZES etc. are in rem). */
const REM = 16;
const TEXT_FONT_REM: Record<TLDefaultSizeStyle, number> = { s: 1.125, m: 1.5, l: 2.25, xl: 2.75 };

/** Page-space rectangle, for the layout check. */
interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** What the layout check knows about a shape besides its record. */
interface Placed {
  id: TLShapeId;
  parentId: string;
  box: Box;
  /** Frames draw their name just above their top edge. */
  isFrame: boolean;
}

interface ArrowLine {
  id: TLShapeId;
  from: TLShapeId;
  to: TLShapeId;
  straight: boolean;
}

/** A board under construction: helpers that add validated tldraw records with sensible styles and track the layout. */
class TemplateBoard {
  readonly store = createHeadlessStore();
  private readonly childCountByParent = new Map<string, number>();
  private readonly placed = new Map<TLShapeId, Placed>();
  private readonly arrows: ArrowLine[] = [];
  private counter = 0;

  readonly id: string;
  readonly title: string;

  constructor(id: string, title: string) {
    this.id = id;
    this.title = title;
    this.store.put([
      DocumentRecordType.create({ id: TLDOCUMENT_ID, name: title }),
      PageRecordType.create({ id: PAGE_ID, name: title, index: 'a1' as IndexKey }),
    ]);
  }

  /** A fixed, readable id: `shape:<template>-<kind>-<n>`. */
  private newShapeId(kind: string): TLShapeId {
    return createShapeId(`${this.id}-${kind}-${++this.counter}`);
  }

  /**
   * Siblings stack in the order they are added: a1, a2, ... a9, aA, ... (fractional index keys with a one-digit
   * integer part). Counted rather than taken from getIndexAbove, which adds random jitter and would make every
   * regeneration rewrite the files.
   */
  private nextIndex(parentId: string): IndexKey {
    const count = (this.childCountByParent.get(parentId) ?? 0) + 1;
    if (count >= BASE62.length) throw new Error(`${this.id}: more than ${BASE62.length - 1} shapes in ${parentId}`);
    this.childCountByParent.set(parentId, count);
    // The store checks the key when the shape is put (tldraw's shape validator checks `index`).
    return `a${BASE62[count]}` as IndexKey;
  }

  private putShape(kind: string, parentId: string, x: number, y: number, type: string, props: object, box: Box): TLShapeId {
    const id = this.newShapeId(kind);
    const shape = this.store.schema.types.shape.create({ id, type, parentId, index: this.nextIndex(parentId), x, y, props } as never);
    this.store.put([shape as TLRecord]);
    const parent = this.placed.get(parentId as TLShapeId);
    const pageBox = parent ? { ...box, x: box.x + parent.box.x, y: box.y + parent.box.y } : box;
    this.placed.set(id, { id, parentId, box: pageBox, isFrame: type === 'frame' });
    return id;
  }

  /**
   * Free text on the page, wrapping at `width`; `size` xl for the board's title, s for a hint under it. Fixed width
   * (autoSize off) because tldraw sizes auto-sized text when someone edits it, not when a board loads, and a file
   * cannot carry a measured width: an auto-sized title written here would wrap after a few letters.
   */
  text(content: string, x: number, y: number, width: number, size: TLDefaultSizeStyle, color: TLDefaultColorStyle = 'black'): TLShapeId {
    const fontPx = TEXT_FONT_REM[size] * REM;
    // A rough height for the layout check only (glyphs about 0.6 em wide): tldraw measures the real one.
    const lines = Math.ceil((content.length * fontPx * 0.6) / width);
    const box = { x, y, w: width, h: lines * fontPx * 1.35 };
    return this.putShape('text', PAGE_ID, x, y, 'text', {
      color, size, w: width, font: 'draw', textAlign: 'start', autoSize: false, scale: 1, richText: toRichText(content),
    }, box);
  }

  /** A frame: a named column that carries its shapes along when moved. */
  frame(name: string, x: number, y: number, w: number, h: number): TLShapeId {
    return this.putShape('frame', PAGE_ID, x, y, 'frame', { w, h, name, color: 'black' }, { x, y, w, h });
  }

  /** A sticky note at `x, y` inside `parentId` (a frame, or the page). */
  note(parentId: string, content: string, x: number, y: number, color: TLDefaultColorStyle): TLShapeId {
    return this.putShape('note', parentId, x, y, 'note', {
      color, richText: toRichText(content), size: 'm', font: 'draw', align: 'middle', verticalAlign: 'middle',
      labelColor: 'black', growY: 0, fontSizeAdjustment: 1, url: '', scale: 1, textLastEditedBy: null,
    }, { x, y, w: NOTE, h: NOTE });
  }

  /** A geo shape (rectangle, ellipse, diamond, ...) with a centred label. */
  box(
    parentId: string,
    label: string,
    rect: Box,
    style: { geo?: string; color?: TLDefaultColorStyle; fill?: string; size?: TLDefaultSizeStyle; dash?: string } = {},
  ): TLShapeId {
    return this.putShape(style.geo ?? 'box', parentId, rect.x, rect.y, 'geo', {
      w: rect.w, h: rect.h, geo: style.geo ?? 'rectangle', dash: style.dash ?? 'draw', growY: 0, url: '', scale: 1,
      flipX: false, flipY: false, color: style.color ?? 'black', labelColor: 'black', fill: style.fill ?? 'solid',
      size: style.size ?? 'm', font: 'draw', align: 'middle', verticalAlign: 'middle', richText: toRichText(label),
    }, rect);
  }

  /**
   * An arrow from one shape to another, bound at both ends (so it follows them when they move), with an optional
   * label. `bend` curves it: positive bulges to the left of the direction of travel, i.e. upwards for a right-to-left arrow.
   */
  arrow(from: TLShapeId, to: TLShapeId, label = '', bend = 0): TLShapeId {
    const start = center(this.placedBox(from));
    const end = center(this.placedBox(to));
    const id = this.newShapeId('arrow');
    const shape = this.store.schema.types.shape.create({
      id, type: 'arrow', parentId: PAGE_ID, index: this.nextIndex(PAGE_ID), x: start.x, y: start.y,
      props: {
        kind: 'arc', elbowMidPoint: 0.5, dash: 'draw', size: 'm', fill: 'none', color: 'black', labelColor: 'black',
        bend, start: { x: 0, y: 0 }, end: { x: end.x - start.x, y: end.y - start.y }, arrowheadStart: 'none',
        arrowheadEnd: 'arrow', richText: toRichText(label), labelPosition: 0.5, font: 'draw', scale: 1,
      },
    } as never);
    const binding = (terminal: 'start' | 'end', toId: TLShapeId) =>
      this.store.schema.types.binding.create({
        id: createBindingId(`${id.slice('shape:'.length)}-${terminal}`), type: 'arrow', fromId: id, toId,
        props: { terminal, normalizedAnchor: { x: 0.5, y: 0.5 }, isExact: false, isPrecise: false, snap: 'none' },
      } as never);
    this.store.put([shape as TLRecord, binding('start', from) as TLRecord, binding('end', to) as TLRecord]);
    this.arrows.push({ id, from, to, straight: bend === 0 });
    return id;
  }

  private placedBox(id: TLShapeId): Box {
    const placed = this.placed.get(id);
    if (!placed) throw new Error(`${this.id}: no shape ${id}`);
    return placed.box;
  }

  /**
   * Refuses a layout that would look broken: two shapes of one parent overlapping (frames counting their name
   * above them), a shape outside its frame, a straight arrow passing through a shape it does not connect.
   */
  checkLayout(): void {
    const all = [...this.placed.values()];
    const gap = 8;
    for (const [i, a] of all.entries()) {
      const parent = this.placed.get(a.parentId as TLShapeId);
      if (parent && !contains(parent.box, a.box)) throw new Error(`${this.id}: ${a.id} sticks out of its frame ${parent.id}`);
      for (const b of all.slice(i + 1)) {
        if (a.parentId === b.parentId && overlaps(withLabel(a), withLabel(b), gap)) {
          throw new Error(`${this.id}: ${a.id} overlaps ${b.id}`);
        }
      }
    }
    for (const arrow of this.arrows.filter((a) => a.straight)) {
      const start = center(this.placedBox(arrow.from));
      const end = center(this.placedBox(arrow.to));
      for (const other of all) {
        if (other.id === arrow.from || other.id === arrow.to || other.isFrame) continue;
        for (let t = 0; t <= 1; t += 0.005) {
          const point = { x: start.x + (end.x - start.x) * t, y: start.y + (end.y - start.y) * t };
          if (overlaps(other.box, { ...point, w: 0, h: 0 }, gap)) throw new Error(`${this.id}: ${arrow.id} crosses ${other.id}`);
        }
      }
    }
  }

  /** The .tldr file: what tldraw's serializeTldrawJson writes, minus session records (camera, instance, ...). */
  toTldrFile(): object {
    const typeOrder = ['document', 'page', 'asset', 'shape', 'binding'];
    const records = this.store
      .allRecords()
      .filter((record) => this.store.schema.types[record.typeName].scope === 'document')
      .sort((a, b) => typeOrder.indexOf(a.typeName) - typeOrder.indexOf(b.typeName));
    return { tldrawFileFormatVersion: 1, schema: this.store.schema.serialize(), records };
  }
}

function center(box: Box) {
  return { x: box.x + box.w / 2, y: box.y + box.h / 2 };
}

function overlaps(a: Box, b: Box, gap: number): boolean {
  return a.x < b.x + b.w + gap && b.x < a.x + a.w + gap && a.y < b.y + b.h + gap && b.y < a.y + a.h + gap;
}

function contains(outer: Box, inner: Box): boolean {
  return inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.w <= outer.x + outer.w && inner.y + inner.h <= outer.y + outer.h;
}

/** A frame's name is drawn in the 32 px above it; neighbours must leave that free. */
function withLabel(placed: Placed): Box {
  return placed.isFrame ? { ...placed.box, y: placed.box.y - 32, h: placed.box.h + 32 } : placed.box;
}

/** Title and a line or two of help above the content, whose top left is `x, top` and which is `width` wide. */
function heading(board: TemplateBoard, hint: string, width: number, x = 0, top = 0): void {
  board.text(board.title, x, top - 190, width, 'xl');
  board.text(hint, x, top - 110, width, 's', 'grey');
}

/** Columns of sticky notes: one frame per column, notes stacked from the top, room left for more. */
function noteColumns(
  board: TemplateBoard,
  columns: { name: string; color: TLDefaultColorStyle; notes: string[] }[],
  options: { columnWidth: number; height: number; gap: number; top?: number },
): TLShapeId[] {
  const margin = (options.columnWidth - NOTE) / 2;
  return columns.map((column, i) => {
    const frame = board.frame(column.name, i * (options.columnWidth + options.gap), options.top ?? 0, options.columnWidth, options.height);
    column.notes.forEach((text, n) => board.note(frame, text, margin, margin + n * (NOTE + margin), column.color));
    return frame;
  });
}

function retrospective(): TemplateBoard {
  const board = new TemplateBoard('retrospective', 'Retrospective');
  heading(board, 'One idea per sticky note (press N). Vote with dots, then agree on a few actions with an owner each.', 3 * 260 + 2 * 40);
  noteColumns(board, [
    { name: 'Went well', color: 'green', notes: ['What made you proud this sprint?', 'What helped us move fast?'] },
    { name: 'To improve', color: 'orange', notes: ['What slowed us down?', 'What would you change next time?'] },
    { name: 'Actions', color: 'blue', notes: ['Next step + owner', 'Check it at the next retro'] },
  ], { columnWidth: 260, height: 720, gap: 40 });
  return board;
}

function kanban(): TemplateBoard {
  const board = new TemplateBoard('kanban', 'Kanban board');
  heading(board, 'One card per task. Drag cards to the right as work moves on; keep "Doing" short.', 3 * 280 + 2 * 40);
  const columns = [
    { name: 'To do', color: 'grey', cards: ['Write the spec', 'Design review', 'Set up CI'] },
    { name: 'Doing', color: 'blue', cards: ['Fix the login bug', 'Draft release notes'] },
    { name: 'Done', color: 'green', cards: ['Kick-off meeting'] },
  ] as const;
  const columnWidth = 280;
  const card = { w: 240, h: 100 };
  columns.forEach((column, i) => {
    const frame = board.frame(column.name, i * (columnWidth + 40), 0, columnWidth, 640);
    column.cards.forEach((label, n) => {
      board.box(frame, label, { x: 20, y: 20 + n * (card.h + 20), ...card }, { color: column.color, fill: 'solid', size: 's' });
    });
  });
  return board;
}

function brainstorm(): TemplateBoard {
  const board = new TemplateBoard('brainstorm', 'Brainstorm');
  heading(board, 'Write the topic in the middle, then add ideas around it: quantity first, judge later.', 1120, -560, -410);
  const topic = { w: 320, h: 180 };
  board.box(PAGE_ID, 'Topic', { x: -topic.w / 2, y: -topic.h / 2, ...topic }, { geo: 'ellipse', color: 'violet', fill: 'solid', size: 'xl' });
  const ideas: [string, TLDefaultColorStyle][] = [
    ['Who is it for?', 'yellow'],
    ['What problem does it solve?', 'light-blue'],
    ['A wild idea', 'light-green'],
    ['What would make it easy?', 'orange'],
    ['What do others do?', 'light-violet'],
    ['Constraints', 'light-red'],
    ['A quick win', 'yellow'],
    ['Risks', 'light-blue'],
  ];
  // On an ellipse around the topic, starting at the top and going clockwise.
  ideas.forEach(([text, color], i) => {
    const angle = -Math.PI / 2 + (i * 2 * Math.PI) / ideas.length;
    const x = Math.round(Math.cos(angle) * 460 - NOTE / 2);
    const y = Math.round(Math.sin(angle) * 310 - NOTE / 2);
    board.note(PAGE_ID, text, x, y, color);
  });
  return board;
}

function userFlow(): TemplateBoard {
  const board = new TemplateBoard('user-flow', 'User flow');
  heading(board, 'Boxes are screens, diamonds are decisions. Arrows stay attached when you move a box.', 5 * 360 + 200);
  const step = { w: 200, h: 100 };
  const column = (n: number) => n * 360;
  const screen = (label: string, n: number, y = 0, color: TLDefaultColorStyle = 'blue') =>
    board.box(PAGE_ID, label, { x: column(n), y, ...step }, { color, fill: 'solid' });
  const landing = board.box(PAGE_ID, 'Landing page', { x: column(0), y: 0, ...step }, { geo: 'oval', color: 'violet', fill: 'solid' });
  const signUp = screen('Sign up', 1);
  const inbox = screen('Check inbox', 2);
  const verified = board.box(PAGE_ID, 'Email verified?', { x: column(3) - 10, y: -30, w: 220, h: 160 }, { geo: 'diamond', color: 'orange', fill: 'solid' });
  const onboarding = screen('Onboarding', 4);
  const logIn = screen('Log in', 0, 320);
  // Between the two rows, so both paths reach it without crossing a box.
  const dashboard = board.box(PAGE_ID, 'Dashboard', { x: column(5), y: 160, ...step }, { geo: 'oval', color: 'green', fill: 'solid' });
  board.arrow(landing, signUp, 'New user');
  board.arrow(signUp, inbox);
  board.arrow(inbox, verified);
  board.arrow(verified, onboarding, 'Yes');
  board.arrow(verified, inbox, 'No: resend', 150);
  board.arrow(onboarding, dashboard);
  board.arrow(landing, logIn, 'Has an account');
  board.arrow(logIn, dashboard);
  return board;
}

function weeklyPlanning(): TemplateBoard {
  const board = new TemplateBoard('weekly-planning', 'Weekly planning');
  heading(board, 'Set a few goals for the week, then plan each day. Move what slips to the next day.', 5 * 240 + 4 * 20);
  const columnWidth = 240;
  const gap = 20;
  const days = 5;
  const goals = board.frame('Goals this week', 0, 0, days * columnWidth + (days - 1) * gap, 240);
  ['Goal 1', 'Goal 2', 'Goal 3'].forEach((text, i) => board.note(goals, text, 20 + i * (NOTE + 20), 20, 'violet'));
  noteColumns(board, [
    { name: 'Monday', color: 'yellow', notes: ['Plan the week'] },
    { name: 'Tuesday', color: 'yellow', notes: [] },
    { name: 'Wednesday', color: 'yellow', notes: ['Team sync 10:00'] },
    { name: 'Thursday', color: 'yellow', notes: [] },
    { name: 'Friday', color: 'yellow', notes: ['Demo and wrap-up'] },
  ], { columnWidth, height: 520, gap, top: 320 });
  return board;
}

const boards = [retrospective(), kanban(), brainstorm(), userFlow(), weeklyPlanning()];
mkdirSync(OUTPUT_DIRECTORY, { recursive: true });
for (const board of boards) {
  board.checkLayout();
  const file = new URL(`${board.id}.tldr`, OUTPUT_DIRECTORY);
  writeFileSync(file, `${JSON.stringify(board.toTldrFile(), null, 2)}\n`);
  console.log(`wrote ${file.pathname} (${board.store.allRecords().length} records)`);
}
