/**
 * The direct path for the messages a busy room is made of: document updates (sync step 2 and update) and awareness
 * updates from a client whose document connection is open and has nothing queued.
 *
 * Hocuspocus handles every message in an async loop per connection that builds three hook payloads (each parsing the
 * request's query string), runs three promise chains over the extensions (beforeHandleMessage, beforeSync,
 * afterHandleMessage), decodes the document name twice and allocates a receiver and an encoder. In the relay
 * benchmark that machinery cost more server CPU than applying the updates. Scrawl's own per-message work is
 * synchronous bookkeeping (the store's append, the automatic version check), so when no other
 * extension listens to those hooks this path does the same work in one synchronous call:
 * observers -> apply with the connection as transaction origin -> acknowledgement through the connection.
 *
 * The outcome is the same as Hocuspocus's: the same transaction origin (onChange, onStoreDocument, broadcasts and the
 * Redis relay see what they always see), the acknowledgement sent the same way (held by the socket's AckGate until the
 * store has the update), and the same order: a connection with a message in Hocuspocus's queue sends this one after it.
 * The store's append and the apply happen in one synchronous call, so compacting from the live document (which
 * needs every appended update applied, see hocuspocus-patches.ts) never falls between them.
 * Everything else takes Hocuspocus's pipeline: joins (sync step 1), auth, stateless messages, read-only connections,
 * and every message while a user extension listens to per-message hooks. A frame past its turn's message budget waits
 * in the socket layer (frame-pacer.ts) and comes here in a later turn. The applied update is broadcast by Scrawl's
 * relay (update-relay.ts) rather than Hocuspocus's per-update handler.
 *
 * It reads two private fields of @hocuspocus/server 4.7.0 (ClientConnection.documentConnections and
 * Connection.messageQueue); `server/test/hocuspocus-patches.test.ts` pins the upstream source they were read from.
 */
import { OutgoingMessage, type Connection, type Document, type Extension, type beforeSyncPayload } from '@hocuspocus/server';
import * as decoding from 'lib0/decoding';
import { finishLoad } from '../persistence/deferred-load.ts';
import { applyClientAwareness } from './hocuspocus-patches.ts';
import { MessageType, SyncType } from './frames.ts';
import type { UpdateRelay } from './update-relay.ts';

/** Scrawl's own work on every client update, done synchronously on both paths (see {@link clientUpdateHooks}). */
export interface ClientUpdateObserver {
  /** `update` (validated, maybe empty) from the writable `connection` is about to be applied to `document`. */
  beforeClientUpdate(document: Document, connection: Connection, update: Uint8Array): void;
}

/**
 * The observers for messages that take Hocuspocus's pipeline: a `beforeSync` hook that hands them each client update
 * from a writable connection, in the order the direct path calls them. One list serves both paths, so they cannot
 * drift apart. Priority 50: after extensions that may refuse a message (auth, the embedding app's at the default 100).
 */
export function clientUpdateHooks(observers: readonly ClientUpdateObserver[]): Extension {
  return {
    priority: 50,
    async beforeSync({ document, connection, type, payload }: beforeSyncPayload) {
      // Read-only connections are refused by Hocuspocus right after this hook; their updates are never stored.
      if (connection.readOnly || (type !== SyncType.step2 && type !== SyncType.update)) return;
      for (const observer of observers) observer.beforeClientUpdate(document, connection, payload);
    },
  };
}

/** What the direct path reads of Hocuspocus's per-socket connection (private in its typings). */
interface ClientConnectionInternals {
  documentConnections: Record<string, Connection | undefined>;
}

/** What the direct path reads of Hocuspocus's per-document connection (private in its typings). */
interface ConnectionInternals {
  messageQueue: unknown[];
}

/** The hooks Hocuspocus runs for every message; an extension with any of them needs every message to go its way. */
const PER_MESSAGE_HOOKS = ['beforeHandleMessage', 'beforeSync', 'afterHandleMessage'] as const;

/** True if `extension` implements a hook Hocuspocus runs for every message (so the direct path must stand aside). */
export function listensToEveryMessage(extension: Partial<Extension>): boolean {
  return PER_MESSAGE_HOOKS.some((hook) => typeof extension[hook] === 'function');
}

/** Each connection's acknowledgement frame (SyncStatus "saved"): the same bytes for every update it sends. */
const savedFrames = new WeakMap<Connection, Uint8Array>();

function savedFrame(connection: Connection): Uint8Array {
  let frame = savedFrames.get(connection);
  if (!frame) {
    frame = new OutgoingMessage(connection.messageAddress).writeSyncStatus(true).toUint8Array();
    savedFrames.set(connection, frame);
  }
  return frame;
}

/** Handles document and awareness updates without Hocuspocus's per-message pipeline; see the module comment. */
export class DirectMessages {
  private readonly observers: readonly ClientUpdateObserver[];
  private readonly relay: UpdateRelay;

  /**
   * `observers` run in order before each update is applied; `relay` broadcasts the applied updates. Pacing is the
   * socket layer's (frame-pacer.ts): a frame reaches this path only within its turn's budget.
   */
  constructor(observers: readonly ClientUpdateObserver[], relay: UpdateRelay) {
    this.observers = observers;
    this.relay = relay;
  }

  /**
   * Handles `body` (a validated message in y-websocket framing: type and payload) that `client` sent about the
   * document it addresses as `documentKey`, and returns true; or returns false, having done nothing, when the message
   * must go through Hocuspocus. `acknowledge` is false where acknowledgements mean nothing to the client (y-websocket).
   * Throws if the update cannot be applied (the caller closes the socket, as Hocuspocus would).
   */
  handle(client: unknown, documentKey: string, body: Uint8Array, acknowledge: boolean): boolean {
    const connections = (client as ClientConnectionInternals).documentConnections;
    const connection = connections[documentKey];
    if (!connection || connection.readOnly || (connection as unknown as ConnectionInternals).messageQueue.length > 0) {
      return false;
    }
    const document = connection.document;
    if (document.isDestroyed) return false;

    const decoder = decoding.createDecoder(body);
    const type = decoding.readVarUint(decoder);
    if (type === MessageType.awareness) {
      applyClientAwareness(document, connection, decoding.readVarUint8Array(decoder));
      return true;
    }
    if (type !== MessageType.sync) return false;
    const syncType = decoding.readVarUint(decoder);
    if (syncType !== SyncType.update && syncType !== SyncType.step2) return false;
    const update = decoding.readVarUint8Array(decoder);
    // A room loaded from its snapshot applies it before anything changes it (see deferred-load.ts).
    finishLoad(document);
    for (const observer of this.observers) observer.beforeClientUpdate(document, connection, update);
    // Applied with the relay origin, the update goes to the room through Scrawl's relay (update-relay.ts).
    this.relay.apply(document, update, this.relay.originFor(connection));
    if (acknowledge) connection.send(savedFrame(connection));
    return true;
  }
}
