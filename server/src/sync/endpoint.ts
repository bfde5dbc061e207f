/**
 * Which protocol a client speaks; each has its own endpoint: `sync` is Hocuspocus's protocol at `/sync` (many rooms
 * on one socket), `yjs` the plain y-websocket protocol at `/yjs/:room`. A module of its own so that the metrics,
 * which count traffic per endpoint, need nothing else of the sync layer.
 */
export type Endpoint = 'sync' | 'yjs';
