/**
 * Scrawl's own relay of a client's document update to the room: the second half of the direct path
 * (direct-messages.ts), after the update was validated, appended and applied.
 *
 * Applying an update makes Yjs emit it, re-encoded from the transaction, to the document's `update` listeners; the
 * one Hocuspocus registers (`Document.handleUpdate`) then, for every update: builds `onChange` and `onStoreDocument`
 * payloads (the first parses the connection's query string), runs the `onChange` chain over every extension, re-arms
 * the store debounce, copies the connection map into an array, encodes the update into a new Hocuspocus message (a
 * lib0 encoder, the name, the type, the payload), and sends that to each connection through `Connection.send` and the
 * socket adapter, which reads the message type back to decide what to do with it. In the relay benchmark those
 * layers, with the garbage they leave, were most of what Scrawl spent above y-websocket-server per update.
 *
 * Here, for an update whose transaction origin is a {@link RelayOrigin} (the direct path's), the patched
 * `Document.handleUpdate` (hocuspocus-patches.ts) calls {@link UpdateRelay.broadcast} instead: the store debounce
 * and `lastChangeTime` as Hocuspocus keeps them, the `onChange` chain only when an extension has that hook (the Redis
 * relay does; then Hocuspocus's own callback runs, unchanged), and the update framed at most once per protocol as a
 * whole WebSocket frame (`[0][2][update]` for `/yjs`, the room name in front for `/sync`) written to every
 * connection's socket, where it waits for the socket's other frames of the same event-loop turn (of a 16 ms window
 * when the socket is busy) and leaves with them in one `writev` (write-coalescer.ts). Clients receive exactly the
 * bytes Hocuspocus would have sent: the update Yjs emitted, which is what was integrated (a duplicate sends nothing,
 * an update waiting for a missing one is sent once it is integrated).
 * Everything else (joins, awareness, the Redis relay's own updates, server changes, updates through Hocuspocus's
 * pipeline) keeps Hocuspocus's path.
 */
import {
  OutgoingMessage,
  type Connection,
  type Document,
  type Extension,
  type Hocuspocus,
  type onStoreDocumentPayload,
} from '@hocuspocus/server';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { ClientSocket } from './client-socket.ts';
import { MessageType, SyncType } from './frames.ts';
import { buildFrame } from './shared-frames.ts';

/**
 * The transaction origin of an update taken by the direct path. To Hocuspocus and its extensions it is a connection
 * origin like the one its own path uses (`source`, `connection`); one per connection, reused for each update.
 */
export class RelayOrigin {
  /** What Hocuspocus's `isTransactionOrigin` reads. */
  readonly source = 'connection' as const;
  /** The client connection the update came from. */
  readonly connection: Connection;
  /** The relay that broadcasts updates of this origin. */
  readonly relay: UpdateRelay;

  constructor(connection: Connection, relay: UpdateRelay) {
    this.connection = connection;
    this.relay = relay;
  }
}

/** What the relay reads of Hocuspocus's Document (private in its typings; pinned by the patches test). */
interface DocumentInternals {
  connections: Map<Connection, unknown>;
  callbacks: { onUpdate(document: Document, origin: unknown, update: Uint8Array): void };
}

/** The part of lib0's Observable (Y.Doc's base class) that lists a document's listeners by event name. */
interface ObservedDocument {
  _observers: Map<string, Set<(update: Uint8Array, origin: unknown, document: Document, transaction: Y.Transaction) => void>>;
}

/** An update without structs and with an empty delete set, as a client's step 2 is when it has nothing new. */
const isEmptyUpdate = (update: Uint8Array) => update.byteLength === 2 && update[0] === 0 && update[1] === 0;

/** Did `transaction` integrate or delete anything? (What Yjs checks before it emits `update`.) */
function changedAnything(transaction: Y.Transaction): boolean {
  if (transaction.deleteSet.clients.size > 0) return true;
  for (const [client, clock] of transaction.afterState) if (transaction.beforeState.get(client) !== clock) return true;
  return false;
}

/** The bytes of `varUint(n)`. */
function varUintLength(n: number): number {
  let length = 1;
  while (n > 0x7f) {
    n = Math.floor(n / 128);
    length += 1;
  }
  return length;
}

/** Writes `[sync][update][varUint length][update]` into `frame` at `offset`. */
function writeSyncUpdate(frame: Buffer, offset: number, update: Uint8Array): void {
  frame[offset] = MessageType.sync;
  frame[offset + 1] = SyncType.update;
  let at = offset + 2;
  let n = update.byteLength;
  while (n > 0x7f) {
    frame[at++] = 0x80 | (n & 0x7f);
    n = Math.floor(n / 128);
  }
  frame[at++] = n;
  frame.set(update, at);
}

/** Broadcasts client updates taken by the direct path; see the module comment. */
export class UpdateRelay {
  private readonly hocuspocus: () => Hocuspocus;
  private readonly origins = new WeakMap<Connection, RelayOrigin>();
  /** Each document's name as the `/sync` frame prefix (`varString(name)`). */
  private readonly prefixes = new WeakMap<Document, Uint8Array>();
  /** The extension list last looked at, and whether one of them has an `onChange` hook. */
  private extensionsSeen: Extension[] | null = null;
  private extensionsCount = 0;
  private changeHooks = false;

  /** `hocuspocus`: the instance that owns the documents (a getter: it is built after the socket layer). */
  constructor(hocuspocus: () => Hocuspocus) {
    this.hocuspocus = hocuspocus;
  }

  /** The transaction origin to apply `connection`'s updates with, so that this relay broadcasts them. */
  originFor(connection: Connection): RelayOrigin {
    let origin = this.origins.get(connection);
    if (!origin) {
      origin = new RelayOrigin(connection, this);
      this.origins.set(connection, origin);
    }
    return origin;
  }

  /**
   * Applies a client's validated update to `document` with `origin` and hands the update, as the client sent it, to
   * the document's `update` listeners (Hocuspocus's, which for this origin is {@link broadcast}, and the join cache's).
   *
   * Yjs encodes every transaction anew for the `update` listeners, which costs about what decoding it did; the bytes
   * the client sent carry the same change, so the listeners are detached during the apply and called with those.
   * Peers that receive the update as sent end up where peers receiving Yjs's encoding would: an update that is
   * already known changes nothing (and is not relayed), and one that waits for a missing update is relayed at once and
   * waits in the peers as it waits here (a joiner's sync carries the server's waiting updates too, as Yjs encodes them);
   * the update that completes it is then relayed in Yjs's encoding (see below).
   */
  apply(document: Document, update: Uint8Array, origin: RelayOrigin): void {
    const observers = (document as unknown as ObservedDocument)._observers;
    const listeners = observers.get('update');
    const store = document.store;
    // An empty update changes nothing: Yjs tells no listener. While updates wait here for a missing one, Yjs's own
    // encoding is needed: the update that completes them integrates them too, and only Yjs's encoding of that
    // transaction carries them to peers that never got them (they may have come through Hocuspocus's path, which
    // relays nothing that waits).
    if (!listeners || isEmptyUpdate(update) || store.pendingStructs !== null || store.pendingDs !== null) {
      Y.applyUpdate(document, update, origin);
      return;
    }
    observers.delete('update');
    let transaction: Y.Transaction | null = null;
    try {
      document.transact((applying) => {
        transaction = applying;
        Y.applyUpdate(document, update, origin);
      }, origin);
    } finally {
      // A listener added during the apply (by an observer) joins the others.
      const added = observers.get('update');
      if (added) for (const listener of added) listeners.add(listener);
      observers.set('update', listeners);
    }
    if (!changedAnything(transaction!) && store.pendingStructs === null && store.pendingDs === null) return;
    for (const listener of listeners) listener(update, origin, document, transaction!);
  }

  /**
   * What Hocuspocus's update handler does for an update of `document` with a {@link RelayOrigin}, minus the layers
   * nothing here listens to. Called by the patched `Document.handleUpdate` once the update is applied: from
   * {@link apply} with the bytes the client sent, or from inside Yjs's apply with its encoding.
   */
  broadcast(document: Document, update: Uint8Array, origin: RelayOrigin): void {
    const hocuspocus = this.hocuspocus();
    const internals = document as unknown as DocumentInternals;
    if (this.hasChangeHooks(hocuspocus)) {
      // An extension listens to every change (the Redis relay): Hocuspocus's own callback, payloads and all.
      internals.callbacks.onUpdate(document, origin, update);
    } else {
      document.lastChangeTime = Date.now();
      const payload: onStoreDocumentPayload = {
        instance: hocuspocus,
        clientsCount: document.getConnectionsCount(),
        document,
        lastContext: origin.connection.context,
        lastTransactionOrigin: origin,
        documentName: document.name,
      };
      void hocuspocus.storeDocumentHooks(document, payload);
    }

    const messageBytes = 2 + varUintLength(update.byteLength) + update.byteLength;
    let prefix: Uint8Array | undefined;
    let yjsFrame: Buffer | undefined;
    let syncFrame: Buffer | undefined;
    for (const connection of internals.connections.keys()) {
      const socket = connection.webSocket;
      // Another kind of socket, a session-aware address, or a socket already closing: Hocuspocus's own message and
      // send (which also ends the connection of a closing socket).
      if (!(socket instanceof ClientSocket) || connection.sessionId !== null || !socket.isOpen) {
        connection.send(new OutgoingMessage(connection.messageAddress).createSyncMessage().writeUpdate(update).toUint8Array());
        continue;
      }
      if (socket.endpoint === 'yjs') {
        yjsFrame ??= buildFrame(messageBytes, (frame, offset) => writeSyncUpdate(frame, offset, update));
        socket.relay(yjsFrame, messageBytes);
      } else {
        prefix ??= this.prefixOf(document);
        const namePrefix = prefix;
        syncFrame ??= buildFrame(namePrefix.byteLength + messageBytes, (frame, offset) => {
          frame.set(namePrefix, offset);
          writeSyncUpdate(frame, offset + namePrefix.byteLength, update);
        });
        socket.relay(syncFrame, namePrefix.byteLength + messageBytes);
      }
    }
  }

  /** True when an extension implements `onChange` (looked up again only when the extension list changes). */
  private hasChangeHooks(hocuspocus: Hocuspocus): boolean {
    const extensions = hocuspocus.configuration.extensions;
    if (extensions !== this.extensionsSeen || extensions.length !== this.extensionsCount) {
      this.extensionsSeen = extensions;
      this.extensionsCount = extensions.length;
      this.changeHooks = extensions.some((extension) => typeof extension.onChange === 'function');
    }
    return this.changeHooks;
  }

  private prefixOf(document: Document): Uint8Array {
    let prefix = this.prefixes.get(document);
    if (!prefix) {
      const encoder = encoding.createEncoder();
      encoding.writeVarString(encoder, document.name);
      prefix = encoding.toUint8Array(encoder);
      this.prefixes.set(document, prefix);
    }
    return prefix;
  }
}
