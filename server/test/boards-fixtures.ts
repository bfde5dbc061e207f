/** What the boards tests share: board documents with labelled shapes, and calls to the HTTP API. */
import * as Y from 'yjs';
import type { TestServer } from './harness.ts';

/** Adds a geo shape labelled `text` at (x, y), in the web app's layout (docs/document-schema.md). */
export function addLabel(doc: Y.Doc, id: string, text: string, x: number, y: number): void {
  const props = new Y.Map<unknown>(
    Object.entries({
      geo: 'rectangle',
      w: 200,
      h: 100,
      richText: { type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] },
    }),
  );
  doc.getMap('records').set(id, new Y.Map<unknown>(Object.entries({ id, typeName: 'shape', type: 'geo', parentId: 'page:page', x, y, props })));
}

/** A document holding `state`. */
export function boardDoc(state: Uint8Array): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, state);
  return doc;
}

/** Options of {@link api}: a JSON `body` or `raw` bytes of `type`, and a Bearer `token`. */
interface ApiInit {
  method?: string;
  body?: unknown;
  raw?: Buffer;
  type?: string;
  token?: string;
}

/** A response whose JSON body the tests read as they expect it to be (assertions check it). */
export interface ApiResponse {
  status: number;
  headers: Headers;
  json(): Promise<any>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** Calls the server's HTTP API at `path`. */
export function api(srv: TestServer, path: string, init: ApiInit = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let body: string | Uint8Array | undefined;
  if (init.raw) {
    headers['content-type'] = init.type ?? 'application/octet-stream';
    body = new Uint8Array(init.raw);
  } else if (init.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.body);
  }
  return fetch(`${srv.httpUrl}${path}`, { method: init.method ?? 'GET', headers, body });
}
