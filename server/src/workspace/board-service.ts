import type { Extension, Hocuspocus, onConnectPayload } from '@hocuspocus/server';
import * as Y from 'yjs';
import { CloseCode } from '../close-codes.ts';
import type { FileAssetStore } from '../http/assets.ts';
import { newRoomId } from '../rooms.ts';
import type { Logger } from '../log.ts';
import type { DocStore } from '../persistence/doc-store.ts';
import type { PersistenceExtension } from '../persistence/persistence-extension.ts';
import { closeRoomConnections, type RoomCloser } from '../sync/close-room.ts';
import { withRoomDocument } from '../sync/hocuspocus.ts';
import type { ConnectionContext } from '../sync/socket-server.ts';
import type { BoardCatalog, BoardEntry } from './board-catalog.ts';
import { TITLE_KEY } from './board-title.ts';
import { boardAssetFiles, storeInlineAssets } from './board-file-assets.ts';
import type { CatalogIndexer } from './catalog-indexer.ts';
import type { TemplateSource } from './templates.ts';
import { type TldrFile, tldrFileToBoardUpdate } from './tldr-document.ts';

/** Options of {@link BoardService}. */
export interface BoardServiceOptions {
  catalog: BoardCatalog;
  indexer: CatalogIndexer;
  store: DocStore;
  persistence: PersistenceExtension;
  hocuspocus: () => Hocuspocus;
  /** Uploaded images, deleted with a board when no other board refers to them; null when there are none. */
  assets: FileAssetStore | null;
  log: Logger;
  /** Days a board stays in the trash before it is deleted for good, default 30. */
  trashDays?: number;
  /** Closes a room's connections on every instance (the Redis relay); default: on this instance only. */
  closer?: RoomCloser;
  /** Templates seeded at the first start (and never again once deleted); default none. */
  templates?: TemplateSource;
  /**
   * Called by `deleteForever` before the catalog entry goes, to forget what other modules keep about the board (sign-in
   * mode's access record). A hook rather than an import, so that the workspace does not depend on them.
   */
  onDeletedForever?: (room: string) => Promise<void>;
}

/** Why a board cannot be opened or changed, or null when it can. */
export type BoardClosedReason = 'board is in the trash' | 'board was deleted' | null;

/** How long `deleteForever` waits for a board's last connection to go before giving up. */
const UNLOAD_WAIT_MS = 5_000;

/** How often the trash is checked for boards past their time. */
const TRASH_SWEEP_MS = 60 * 60 * 1000;

/**
 * What people do with boards as a whole: rename, star, duplicate, trash and restore, delete for good, make boards from
 * templates, keep thumbnails. As a Hocuspocus extension it refuses connections to a board in the trash or deleted
 * (4403), so that no client, not even one with an offline copy, writes to it.
 */
export class BoardService implements Extension {
  /** Before persistence loads the document: a refused board is not even loaded. */
  priority = 200;
  readonly catalog: BoardCatalog;
  private readonly options: BoardServiceOptions;
  private readonly log: Logger;
  private sweepTimer: NodeJS.Timeout | null = null;

  constructor(options: BoardServiceOptions) {
    this.options = options;
    this.catalog = options.catalog;
    this.log = options.log.child({ module: 'boards' });
  }

  async onConnect({ documentName, context }: onConnectPayload): Promise<void> {
    const room = documentName.split('\0', 1)[0];
    const reason = await this.closedReason(room);
    if (reason === null) return;
    (context as ConnectionContext).socket?.close(CloseCode.forbidden, reason);
    // Without a message: Hocuspocus prints every hook error's message, and a refused board is no fault of the server.
    // Its PermissionDenied answer takes the reason.
    throw Object.assign(new Error(), { reason });
  }

  /** Opens the catalog, then (in the background) seeds templates, adds boards stored without an entry, and empties the trash of old boards. */
  async start(): Promise<void> {
    await this.catalog.open();
    // One after another, each on its own: missing templates must not keep the catalog from being built.
    const background = async () => {
      await this.seedTemplates().catch((error: unknown) => this.log.error({ err: error }, 'seeding the templates failed'));
      await this.options.indexer.addMissing().catch((error: unknown) => this.log.error({ err: error }, 'building the catalog failed'));
      await this.sweepTrash().catch((error: unknown) => this.log.error({ err: error }, 'emptying the trash failed'));
    };
    void background();
    this.sweepTimer = setInterval(() => {
      this.sweepTrash().catch((error: unknown) => this.log.error({ err: error }, 'emptying the trash failed'));
    }, TRASH_SWEEP_MS);
    this.sweepTimer.unref();
  }

  /** Stops the trash sweep and closes the catalog. */
  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.catalog.close();
  }

  /** Why the board cannot be opened or changed now (in the trash, deleted for good), or null. */
  async closedReason(room: string): Promise<BoardClosedReason> {
    const entry = await this.catalog.get(room);
    if (entry?.deletedAt) return 'board is in the trash';
    if (!entry && (await this.catalog.isTombstoned(room))) return 'board was deleted';
    return null;
  }

  /** Writes the title into the document (everyone in the board sees it) and the catalog at once. */
  async rename(room: string, title: string): Promise<BoardEntry | null> {
    return withRoomDocument(this.options.hocuspocus(), room, async (document) => {
      const meta = document.getMap<unknown>('meta');
      if (meta.get(TITLE_KEY) !== title) {
        await this.options.persistence.applyServerChange(room, document, () => meta.set(TITLE_KEY, title));
      }
      return this.options.indexer.indexLive(room, document);
    });
  }

  /** Stars or unstars a board. */
  star(room: string, starred: boolean): Promise<BoardEntry | null> {
    return this.catalog.update(room, { starred });
  }

  /** Moves a board to the trash and closes its connections (4403); resolves null for an unknown board. */
  async trash(room: string): Promise<BoardEntry | null> {
    const entry = await this.catalog.update(room, { deletedAt: new Date().toISOString() });
    if (entry) this.closeConnections(room, 'board is in the trash');
    return entry;
  }

  /** Brings a board back from the trash. */
  restore(room: string): Promise<BoardEntry | null> {
    return this.catalog.update(room, { deletedAt: null });
  }

  /**
   * Deletes a board in the trash for good: its document, log and versions, the assets no other board refers to, what
   * `onDeletedForever` forgets (its access record), and its catalog entry, leaving a tombstone. Resolves false when
   * the board is not in the trash. The entry goes last, so a failure half way leaves the board in the trash, and the
   * next sweep finishes the work.
   */
  async deleteForever(room: string): Promise<boolean> {
    const entry = await this.catalog.get(room);
    if (!entry?.deletedAt) return false;
    this.closeConnections(room, 'board was deleted');
    await this.waitUntilUnloaded(room);
    await this.options.persistence.writesSettled(room);
    await this.options.store.deleteRoom(room);
    const assets = this.options.assets;
    if (assets) {
      for (const id of await assets.list(room)) {
        const users = await this.catalog.boardsUsingAsset(`${room}/${id}`);
        if (users.every((user) => user === room)) await assets.remove(room, id);
      }
    }
    // Before the entry: a failure here leaves the board in the trash, and the next sweep calls it again.
    await this.options.onDeletedForever?.(room);
    await this.catalog.remove(room);
    this.log.info({ room }, 'board deleted for good');
    return true;
  }

  /**
   * A new board with the same document bytes as `room` (its state as one update), then the title as a change of its
   * own. `template` saves it among the templates. Resolves null for an unknown board.
   */
  async duplicate(room: string, options: { title?: string; template?: boolean } = {}): Promise<BoardEntry | null> {
    const source = await this.catalog.get(room);
    if (!source) return null;
    const state = await withRoomDocument(this.options.hocuspocus(), room, (doc) => Y.encodeStateAsUpdate(doc));
    const copy = newRoomId();
    const title = options.title ?? `${source.title || 'Untitled board'} (copy)`;
    await this.storeNewBoard(copy, [state, titleChange(state, title)]);
    const entry = await this.catalog.update(copy, { template: options.template ?? false });
    const thumbnail = await this.catalog.getThumbnail(room);
    return (thumbnail && (await this.catalog.putThumbnail(copy, thumbnail))) || entry;
  }

  /**
   * A new board from a checked .tldr file: its inline images stored as the new board's assets (when there is an asset
   * store), then its records as the document's first update (ids kept: the board is new, so none can clash), then
   * its catalog entry. `fallbackTitle` (the uploaded file's name) titles a file whose document has no name.
   */
  async importBoard(file: TldrFile, fallbackTitle: string | null = null): Promise<BoardEntry> {
    const room = newRoomId();
    const assets = this.options.assets;
    const records = assets ? await storeInlineAssets(file.records, room, boardAssetFiles(assets)) : file.records;
    const entry = await this.storeNewBoard(room, [tldrFileToBoardUpdate({ ...file, records }, fallbackTitle)]);
    if (!entry) throw new Error(`imported board ${room} has no catalog entry`);
    this.log.info({ room, records: records.length }, 'board imported from a .tldr file');
    return entry;
  }

  /** A new board from a template (its title kept); null when `templateId` names no template. */
  async fromTemplate(templateId: string): Promise<BoardEntry | null> {
    const template = await this.catalog.get(templateId);
    if (!template?.template || template.deletedAt) return null;
    return this.duplicate(templateId, { title: template.title, template: false });
  }

  /** Empties the trash of boards older than `trashDays`. */
  async sweepTrash(now = Date.now()): Promise<void> {
    const before = new Date(now - (this.options.trashDays ?? 30) * 24 * 3600 * 1000).toISOString();
    for (const room of await this.catalog.trashedBefore(before)) await this.deleteForever(room);
  }

  /**
   * Stores a board that no one has open yet (a copy, an import, a template) as `updates` in order, then derives its
   * catalog entry from what the store holds, as for any other board.
   */
  private async storeNewBoard(room: string, updates: Uint8Array[]): Promise<BoardEntry | null> {
    for (const update of updates) await this.options.store.append(room, update);
    return this.options.indexer.indexStored(room);
  }

  /** Closes every connection to the board with 4403 and `reason`, on every instance when scaled out. */
  private closeConnections(room: string, reason: string): void {
    if (this.options.closer) this.options.closer.closeRoomEverywhere(room, reason);
    else closeRoomConnections(this.options.hocuspocus().documents.get(room), reason);
  }

  private async waitUntilUnloaded(room: string): Promise<void> {
    const hocuspocus = this.options.hocuspocus();
    const deadline = Date.now() + UNLOAD_WAIT_MS;
    while (hocuspocus.documents.has(room) || hocuspocus.loadingDocuments.has(room) || hocuspocus.unloadingDocuments.has(room)) {
      if (Date.now() > deadline) throw new Error(`board ${room} is still open`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Stores each shipped template the catalog has never seen, as a template board. */
  private async seedTemplates(): Promise<void> {
    const source = this.options.templates;
    if (!source) return;
    const known = await this.catalog.knownIds();
    const missing = new Set((await source.ids()).filter((id) => !known.has(id)));
    if (missing.size === 0) return;
    for (const template of await source.load(missing)) {
      await this.storeNewBoard(template.id, [template.update]);
      if (template.thumbnail) await this.catalog.putThumbnail(template.id, template.thumbnail);
      // Last: a template is listed among the templates once it is whole.
      await this.catalog.update(template.id, { template: true });
    }
  }
}

/** The update that sets `title` on a document whose state is `state`. */
function titleChange(state: Uint8Array, title: string): Uint8Array {
  const doc = new Y.Doc();
  try {
    Y.applyUpdate(doc, state);
    const before = Y.encodeStateVector(doc);
    doc.getMap<unknown>('meta').set(TITLE_KEY, title);
    return Y.encodeStateAsUpdate(doc, before);
  } finally {
    doc.destroy();
  }
}
