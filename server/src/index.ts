/** Scrawl's server as a library: build a server around a store and mount it on your own HTTP server, or listen. */
export { createScrawlServer, type ScrawlServer, type ScrawlServerOptions } from './server.ts';
export { CloseCode, ProtocolError } from './close-codes.ts';
export type { DocStore, RoomStoreStats } from './persistence/doc-store.ts';
export { LevelDbStore, type LevelDbStoreOptions } from './persistence/leveldb-store.ts';
export { MemoryStore } from './persistence/memory-store.ts';
export { ROOM_ID_PATTERN, isValidRoomId } from './rooms.ts';
export { PostgresStore, type PostgresStoreOptions } from './persistence/postgres-store.ts';
export { RedisRelay, REDIS_ORIGIN, type RedisRelayOptions, type RelayStats } from './scaleout/redis-relay.ts';
export { TokenVerifier, type TokenClaims } from './sync/auth.ts';
