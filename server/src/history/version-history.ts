import { randomBytes } from 'node:crypto';
import type { Connection, Document, Extension, Hocuspocus, afterLoadDocumentPayload, afterUnloadDocumentPayload } from '@hocuspocus/server';
import * as Y from 'yjs';
import type { Logger } from '../log.ts';
import type { DocStore, VersionInfo } from '../persistence/doc-store.ts';
import type { PersistenceExtension } from '../persistence/persistence-extension.ts';
import type { ClientUpdateObserver } from '../sync/direct-messages.ts';
import { restoreContent } from './restore.ts';
import { withRoomDocument } from '../sync/hocuspocus.ts';

/** Options of {@link VersionHistory}. */
export interface VersionHistoryOptions {
  /** The instance owning the live documents (a getter: it is built with this extension in its list). */
  hocuspocus: () => Hocuspocus;
  store: DocStore;
  persistence: PersistenceExtension;
  log: Logger;
  /** Save an automatic version at the first change after this much idle time, default 10 minutes; 0 turns it off. */
  autoVersionAfterIdleMs?: number;
  /** How many automatic versions a room keeps, default 50 (the oldest go first); labelled ones are always kept. */
  keepAutoVersions?: number;
}

/** A version id: creation time then randomness, so ids sort by time and never collide. */
function newVersionId(now: number): string {
  return `${now.toString(36).padStart(9, '0')}-${randomBytes(4).toString('hex')}`;
}

/**
 * Saved versions of rooms: save now, list, preview, label, restore, and automatic versions taken at the first change
 * after an idle period (the state as it was before that change). A restore is an ordinary change to the live document
 * that every client receives; the state it replaced is saved first as a version, so restoring that undoes it.
 *
 * It is also a Hocuspocus extension (room load and unload), and it sees every client update before the update is
 * applied (`beforeClientUpdate`), which is when an automatic version must capture the previous state.
 */
export class VersionHistory implements Extension, ClientUpdateObserver {
  private readonly hocuspocus: () => Hocuspocus;
  private readonly store: DocStore;
  private readonly persistence: PersistenceExtension;
  private readonly log: Logger;
  private readonly autoAfterIdleMs: number;
  private readonly keepAuto: number;
  /** Last change per loaded room; 0 means "idle since it was loaded". */
  private readonly lastChangeAt = new Map<string, number>();

  constructor(options: VersionHistoryOptions) {
    this.hocuspocus = options.hocuspocus;
    this.store = options.store;
    this.persistence = options.persistence;
    this.log = options.log.child({ module: 'versions' });
    this.autoAfterIdleMs = options.autoVersionAfterIdleMs ?? 10 * 60_000;
    this.keepAuto = options.keepAutoVersions ?? 50;
  }

  /** The room's versions, newest first. */
  list(room: string): Promise<VersionInfo[]> {
    return this.store.listVersions(room);
  }

  /** One version's state as a Yjs update, or null. */
  load(room: string, id: string): Promise<Uint8Array | null> {
    return this.store.loadVersion(room, id);
  }

  /** Relabels a version. */
  label(room: string, id: string, label: string): Promise<VersionInfo | null> {
    return this.store.labelVersion(room, id, label);
  }

  /** Saves the room's current state as a version. */
  async save(room: string, label: string, auto = false): Promise<VersionInfo> {
    return withRoomDocument(this.hocuspocus(), room, (doc) => this.saveState(room, Y.encodeStateAsUpdate(doc), label, auto));
  }

  /**
   * Restores version `id`: saves the current state as an automatic version (`savedAs`), then changes the live document
   * to the version's content as one transaction, stored before this resolves. Null when there is no such version.
   */
  async restore(room: string, id: string): Promise<{ restoredFrom: string; savedAs: string } | null> {
    const state = await this.store.loadVersion(room, id);
    if (!state) return null;
    const target = new Y.Doc();
    Y.applyUpdate(target, state);
    try {
      return await withRoomDocument(this.hocuspocus(), room, async (doc) => {
        const before = await this.saveState(room, Y.encodeStateAsUpdate(doc), `Before restoring ${id}`, true);
        await this.persistence.applyServerChange(room, doc, (live) => restoreContent(live, target));
        this.log.info({ room, restoredFrom: id, savedAs: before.id }, 'version restored');
        return { restoredFrom: id, savedAs: before.id };
      });
    } finally {
      target.destroy();
    }
  }

  async afterLoadDocument({ documentName }: afterLoadDocumentPayload): Promise<void> {
    this.lastChangeAt.set(documentName, 0);
  }

  async afterUnloadDocument({ documentName }: afterUnloadDocumentPayload): Promise<void> {
    this.lastChangeAt.delete(documentName);
  }

  /** Saves an automatic version of the state before a change that follows a quiet spell (on either message path). */
  beforeClientUpdate(document: Document, _connection: Connection, update: Uint8Array): void {
    if (this.autoAfterIdleMs === 0 || update.byteLength <= 2) return;
    const documentName = document.name;
    const now = Date.now();
    const last = this.lastChangeAt.get(documentName) ?? 0;
    this.lastChangeAt.set(documentName, now);
    // A room just loaded was idle while unloaded; an empty one has nothing worth keeping.
    if (now - last < this.autoAfterIdleMs || document.store.clients.size === 0) return;
    const state = Y.encodeStateAsUpdate(document);
    // Not awaited: the change must not wait for the version; a failure costs only the version, and is logged.
    this.saveState(documentName, state, '', true).catch((error: unknown) =>
      this.log.error({ room: documentName, err: error }, 'automatic version failed'),
    );
  }

  private async saveState(room: string, state: Uint8Array, label: string, auto: boolean): Promise<VersionInfo> {
    const now = Date.now();
    const info: VersionInfo = { id: newVersionId(now), label, auto, createdAt: new Date(now).toISOString(), bytes: state.byteLength };
    await this.store.saveVersion(room, info, state);
    if (auto) await this.applyRetention(room);
    return info;
  }

  private async applyRetention(room: string): Promise<void> {
    const autos = (await this.store.listVersions(room)).filter((v) => v.auto && v.label === '');
    if (autos.length > this.keepAuto) await this.store.deleteVersions(room, autos.slice(this.keepAuto).map((v) => v.id));
  }

}
