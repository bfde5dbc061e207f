/**
 * Two replacements inside @hocuspocus/server 4.7.0's MessageReceiver.apply, where no hook or option reaches
 * (measured in shared notes, explained in docs/architecture.md), one count around it, and one branch in front of
 * Document.handleUpdate. Everything else goes to the original methods.
 *
 * 1. Awareness: upstream decodes every awareness message into a throwaway Y.Doc + Awareness (~200 µs, mostly the
 *    Y.Doc's random id) before re-encoding it; with cursors at 10 Hz that doubles server CPU, and the re-encoding drops
 *    `null` states so `setLocalState(null)` never reached anyone. Here the update (already validated by the socket
 *    layer) is applied straight to the document's awareness with the connection as origin, which is what upstream
 *    ends up doing, minus the scratch objects. We use no `beforeHandleAwareness` hook, which this skips.
 * 2. Sync step 1: upstream runs `Y.encodeStateAsUpdate(doc, stateVector)` for every joining client. Here the answer
 *    (the framed step 2) is cached per document, address and state vector until the document next changes, so 150
 *    clients joining a 4 MB room cost one encoding, and a reconnect storm of clients holding the same state costs one
 *    diff. Hooks still run (`beforeSync`), and the server's own step 1 still goes out first, as upstream sends it.
 *    A room loaded from one snapshot whose apply is still deferred (persistence/deferred-load.ts) answers an empty
 *    state vector with the stored bytes and sends its own step 1 once the apply is done; every other message first
 *    completes the apply.
 * 3. Count: the client messages upstream is handling, per document (`noClientMessageInProgress`). An update is appended
 *    in `beforeSync` and applied after it; compacting from the live document is safe only outside that window.
 * 4. Document.handleUpdate (Document.ts), the document's `update` listener: an update applied by the direct path (its
 *    origin a RelayOrigin) is broadcast by Scrawl's relay (update-relay.ts) instead of Hocuspocus's per-update
 *    payloads, hook chain and message encoding; every other update takes upstream's handler.
 *
 * `server/test/hocuspocus-patches.test.ts` pins the upstream source this was written against: when the package
 * changes, that test fails and this module must be re-checked.
 */
import { Document, MessageReceiver, OutgoingMessage, type Connection } from '@hocuspocus/server';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { applyAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { afterLoad, finishLoad, isLoadDeferred } from '../persistence/deferred-load.ts';
import { ClientSocket } from './client-socket.ts';
import { MessageType, SyncType } from './frames.ts';
import { RelayOrigin } from './update-relay.ts';

/** The upstream version these patches were written against. */
export const PATCHED_HOCUSPOCUS_VERSION = '4.7.0';

/** Distinct state vectors cached per document; a join storm needs one, a reconnect storm a few. */
const MAX_CACHED_ANSWERS = 8;

const answerCache = new WeakMap<Document, Map<string, Uint8Array>>();
/** A full-state update known to equal the document's state (the stored snapshot it was just loaded from). */
const knownFullState = new WeakMap<Document, Uint8Array>();

function cachedAnswers(document: Document): Map<string, Uint8Array> {
  let answers = answerCache.get(document);
  if (!answers) {
    const created = new Map<string, Uint8Array>();
    answers = created;
    answerCache.set(document, created);
    // Any change makes every cached answer stale. 'update' fires synchronously inside the transaction that changed
    // the document, before another message can be handled.
    document.on('update', () => {
      created.clear();
      knownFullState.delete(document);
    });
  }
  return answers;
}

/**
 * Tells the cache that `update` is the document's whole state, as when a room was just loaded from a single stored
 * snapshot: the first joiners are answered with those bytes instead of re-encoding the document (for a 4 MB board,
 * ~110 ms saved on the first sync after a restart). Forgotten at the document's next change.
 */
export function seedFullState(document: Document, update: Uint8Array): void {
  cachedAnswers(document);
  knownFullState.set(document, update);
}

/** Drops every cached answer of `document` (its state changed without an 'update' event, e.g. a failed load). */
export function forgetCachedAnswers(document: Document): void {
  answerCache.get(document)?.clear();
  knownFullState.delete(document);
}

const isEmptyStateVector = (stateVector: Uint8Array) => stateVector.byteLength === 1 && stateVector[0] === 0;
const EMPTY_STATE_VECTOR = new Uint8Array([0]);

/** The framed sync step 2 answering `stateVector` for `address`, encoded once per document state (exported for tests). */
export function syncStep2For(document: Document, address: string, stateVector: Uint8Array): Uint8Array {
  const answers = cachedAnswers(document);
  const key = `${address}\0${Buffer.from(stateVector).toString('latin1')}`;
  let frame = answers.get(key);
  if (!frame) {
    const known = isEmptyStateVector(stateVector) ? knownFullState.get(document) : undefined;
    frame = frameSyncStep2(address, known ?? Y.encodeStateAsUpdate(document, stateVector));
    if (answers.size >= MAX_CACHED_ANSWERS) answers.delete(answers.keys().next().value!);
    answers.set(key, frame);
  }
  return frame;
}

/**
 * `varString(address) varUint(sync) varUint(step2) varUint8Array(update)`, allocated once at its exact size. lib0's
 * encoder would copy a large update twice (into a grown buffer, then into the joined result), and on a VM where fresh
 * pages are expensive each copy of a 4 MB board costs ~12 ms.
 */
function frameSyncStep2(address: string, update: Uint8Array): Uint8Array {
  const head = encoding.createEncoder();
  encoding.writeVarString(head, address);
  encoding.writeVarUint(head, MessageType.sync);
  encoding.writeVarUint(head, SyncType.step2);
  encoding.writeVarUint(head, update.byteLength);
  const prefix = encoding.toUint8Array(head);
  const frame = new Uint8Array(prefix.byteLength + update.byteLength);
  frame.set(prefix);
  frame.set(update, prefix.byteLength);
  return frame;
}

/**
 * How long a deferred apply waits after the answer has left. Nothing needs the applied document until a client sends
 * something (which applies it at once), and the apply is heavy: decoding a 4.3 MB board allocates enough to keep V8's
 * GC threads busy, and on a small machine that slowed the joiner, receiving the same bytes, by 20-40 ms.
 */
const APPLY_AFTER_SENT_MS = 250;

/**
 * Answers a joiner with an empty state vector while `document`'s stored snapshot is not applied yet (see
 * deferred-load.ts): its step 2 is the stored snapshot as is. The apply runs a moment after that answer has been
 * handed to the kernel (a 4 MB answer takes several turns to write, and an apply in between would hold the rest back),
 * and the server's own step 1 (which carries the document's state vector) follows the apply.
 */
function answerBeforeLoad(document: Document, connection: Connection): void {
  const address = connection.messageAddress;
  const step2 = syncStep2For(document, address, EMPTY_STATE_VECTOR);
  const applyWhenSent = () => {
    setTimeout(() => {
      // A room whose clients all left meanwhile was unloaded: nothing to apply to.
      if (!document.isDestroyed) finishLoad(document);
    }, APPLY_AFTER_SENT_MS).unref();
  };
  const socket = connection.webSocket;
  if (socket instanceof ClientSocket) socket.send(step2, applyWhenSent);
  else {
    connection.send(step2);
    applyWhenSent();
  }
  afterLoad(document, () => {
    connection.send(new OutgoingMessage(address).createSyncMessage().writeFirstSyncStepFor(document).toUint8Array());
  });
}

/** Client messages of each document that upstream is handling (between `beforeSync` and the apply, for one). */
const clientMessagesInProgress = new WeakMap<Document, number>();

/**
 * True while no client message of `document` is being handled. Then every update a client sent has been both
 * appended to the store (in `beforeSync`) and applied, which is what compacting from the live document relies on.
 */
export function noClientMessageInProgress(document: Document): boolean {
  return (clientMessagesInProgress.get(document) ?? 0) === 0;
}

/**
 * Applies a client's (validated) awareness update straight to the document's awareness with the connection as origin,
 * which is what upstream ends up doing after its scratch Y.Doc + Awareness (see patch 1 above). Also used by the direct
 * path (direct-messages.ts).
 */
export function applyClientAwareness(document: Document, connection: Connection, update: Uint8Array): void {
  applyAwarenessUpdate(document.awareness, update, { source: 'connection', connection });
}

type HandleUpdate = (this: Document, update: Uint8Array, origin: unknown) => Document;

/**
 * Patch 4. Documents bind `handleUpdate` as their `update` listener in their constructor, so the patch must be in place
 * before the first document is created (createHocuspocus installs it first). With `flushDelay` other than false
 * upstream batches broadcasts; Scrawl sets false, and anything else keeps upstream's handler.
 */
function installRelayBroadcast(): void {
  const prototype = Document.prototype as unknown as { handleUpdate: HandleUpdate };
  const upstreamHandleUpdate = prototype.handleUpdate;
  prototype.handleUpdate = function patchedHandleUpdate(this: Document, update: Uint8Array, origin: unknown): Document {
    if (origin instanceof RelayOrigin && this.flushDelay === false) {
      origin.relay.broadcast(this, update, origin);
      return this;
    }
    return upstreamHandleUpdate.call(this, update, origin);
  };
}

type Apply = (this: MessageReceiver, document: Document, connection?: Connection, reply?: (m: Uint8Array) => void) => Promise<void>;

let installed = false;

/** Installs the patches once per process. Idempotent. */
export function installHocuspocusPatches(): void {
  if (installed) return;
  installed = true;
  installRelayBroadcast();
  const upstreamApply = MessageReceiver.prototype.apply as Apply;

  MessageReceiver.prototype.apply = async function patchedApply(
    this: MessageReceiver,
    document: Document,
    connection?: Connection,
    reply?: (m: Uint8Array) => void,
  ): Promise<void> {
    // Only messages from a client connection take the fast paths; Redis relays and direct connections do not.
    if (connection) {
      const decoder = this.message.decoder;
      const start = decoder.pos;
      const type = decoding.readVarUint(decoder);
      if (type === MessageType.awareness) {
        applyClientAwareness(document, connection, decoding.readVarUint8Array(decoder));
        return;
      }
      if (type === MessageType.sync && decoding.readVarUint(decoder) === SyncType.step1) {
        const stateVector = decoding.readVarUint8Array(decoder);
        await connection.callbacks.beforeSync(connection, { type: SyncType.step1, payload: stateVector });
        if (isLoadDeferred(document) && isEmptyStateVector(stateVector) && knownFullState.has(document)) {
          answerBeforeLoad(document, connection);
          return;
        }
        finishLoad(document);
        const address = connection.messageAddress;
        connection.send(new OutgoingMessage(address).createSyncMessage().writeFirstSyncStepFor(document).toUint8Array());
        connection.send(syncStep2For(document, address, stateVector));
        return;
      }
      decoder.pos = start;
    }
    // Every other message may read or change the document's content.
    finishLoad(document);
    if (!connection) return upstreamApply.call(this, document, connection, reply);
    clientMessagesInProgress.set(document, (clientMessagesInProgress.get(document) ?? 0) + 1);
    try {
      return await upstreamApply.call(this, document, connection, reply);
    } finally {
      clientMessagesInProgress.set(document, clientMessagesInProgress.get(document)! - 1);
    }
  };
}
