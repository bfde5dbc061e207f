import type { Document, Extension, onStoreDocumentPayload } from '@hocuspocus/server';
import * as Y from 'yjs';
import type { Logger } from '../log.ts';
import type { DocStore } from '../persistence/doc-store.ts';
import { applyStoredUpdates } from '../persistence/merge.ts';
import type { BoardCatalog, BoardEntry } from './board-catalog.ts';
import { readBoardContent } from './board-content.ts';

/** Options of {@link CatalogIndexer}. */
export interface CatalogIndexerOptions {
  catalog: BoardCatalog;
  store: DocStore;
  log: Logger;
  /**
   * About how many bytes a loaded room takes, without reading the store (PersistenceExtension.stateBytes); summing a
   * large room's log would read all of it on every settled change.
   */
  liveBytes?: (room: string) => number | undefined;
}

/** Longest name taken from presence. */
const MAX_NAME_CHARS = 64;

/**
 * Keeps the catalog in step with the documents. As a Hocuspocus extension it derives a board's entry after its
 * changes settle: `afterStoreDocument` runs on Hocuspocus's store debounce (2 s after the last change, at most every
 * 10 s while changes go on, and when the last client leaves), once compaction is done, never on the relay's path. It
 * also builds entries for boards a store holds without one (a DATA_DIR or database from before the catalog) and
 * rebuilds them all (`npm run reindex`), from the stored documents.
 */
export class CatalogIndexer implements Extension {
  /** After persistence (50), so the sizes it reads are the compacted ones. */
  priority = 10;
  private readonly catalog: BoardCatalog;
  private readonly store: DocStore;
  private readonly log: Logger;
  private readonly liveBytes: (room: string) => number | undefined;

  constructor(options: CatalogIndexerOptions) {
    this.liveBytes = options.liveBytes ?? (() => undefined);
    this.catalog = options.catalog;
    this.store = options.store;
    this.log = options.log.child({ module: 'catalog' });
  }

  async afterStoreDocument({ documentName, document }: onStoreDocumentPayload): Promise<void> {
    try {
      await this.indexLive(documentName, document);
    } catch (error) {
      // The catalog is derived data: the next settled change or a reindex brings it up to date.
      this.log.error({ room: documentName, err: error }, 'catalog update failed');
    }
  }

  /** Derives the entry of a loaded board from its live document (which holds everything stored) and presence. */
  async indexLive(room: string, document: Document): Promise<BoardEntry | null> {
    const content = readBoardContent(document);
    const updatedAt = new Date(document.lastChangeTime || Date.now()).toISOString();
    const bytes = this.liveBytes(room) ?? (await this.storedBytes(room));
    return this.catalog.record(room, { ...content, bytes, editors: presenceNames(document), updatedAt });
  }

  /**
   * Derives the entry of a board from what the store holds. A board already in the catalog keeps its last change
   * time; a new one gets `now` (the store keeps no times).
   */
  async indexStored(room: string, now = new Date().toISOString()): Promise<BoardEntry | null> {
    const doc = new Y.Doc({ gc: false });
    try {
      const updates = await this.store.load(room);
      applyStoredUpdates(doc, updates, 'catalog');
      const previous = await this.catalog.get(room);
      return await this.catalog.record(room, {
        ...readBoardContent(doc),
        bytes: updates.reduce((sum, update) => sum + update.byteLength, 0),
        editors: [],
        updatedAt: previous?.updatedAt ?? now,
      });
    } finally {
      doc.destroy();
    }
  }

  /**
   * Builds entries for the boards the store holds that the catalog does not know (the first start after an upgrade).
   * Resolves with how many were added.
   */
  async addMissing(): Promise<number> {
    const known = await this.catalog.knownIds();
    let added = 0;
    for await (const room of this.store.listRooms()) {
      if (known.has(room)) continue;
      if (await this.indexStored(room)) added += 1;
    }
    if (added > 0) this.log.info({ boards: added }, 'catalog built for boards stored without an entry');
    return added;
  }

  /** Derives every stored board's entry again (`npm run reindex`); the catalog's own fields stay. */
  async reindexAll(): Promise<number> {
    let count = 0;
    for await (const room of this.store.listRooms()) {
      if (await this.catalog.isTombstoned(room)) continue;
      if (await this.indexStored(room)) count += 1;
    }
    return count;
  }

  private async storedBytes(room: string): Promise<number> {
    const stats = await this.store.stats(room);
    return stats.snapshotBytes + stats.logBytes;
  }
}

/** Names in the board's presence now: the web app's `presence.userName`, or the common `user.name` of other Yjs apps. */
export function presenceNames(document: Document): string[] {
  const names: string[] = [];
  for (const state of document.awareness.getStates().values()) {
    const name = (state as { presence?: { userName?: unknown } }).presence?.userName ?? (state as { user?: { name?: unknown } }).user?.name;
    if (typeof name === 'string' && name.trim()) names.push(name.trim().slice(0, MAX_NAME_CHARS));
  }
  return [...new Set(names)];
}
