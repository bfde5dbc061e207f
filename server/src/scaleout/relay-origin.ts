/**
 * Transaction origins of what the relay applies from Redis. Hooks see every change, whether a client or another
 * instance made it; the origin is how the relay (and the store) tell them apart: a change from Redis is broadcast to
 * this instance's clients but neither published again (every instance got it from Redis itself) nor stored again (the
 * instance whose client sent it stored it).
 */

/**
 * The transaction origin of document updates applied from Redis (Hocuspocus's own `RedisTransactionOrigin` shape),
 * and of the removals of a dead instance's clients. Awareness applied from Redis carries the same `source` plus the
 * sending `instanceId` (to know whose clients they are), so test `source === 'redis'` rather than identity.
 */
export const REDIS_ORIGIN = Object.freeze({ source: 'redis' as const });

/** The origin of awareness applied from Redis: {@link REDIS_ORIGIN}'s shape and the instance the states live on. */
export interface RelayedAwarenessOrigin {
  source: 'redis';
  instanceId: string;
}

/** Whether a change came from Redis: {@link REDIS_ORIGIN} or a {@link RelayedAwarenessOrigin}, by shape. */
export const isFromRedis = (origin: unknown): boolean =>
  origin === REDIS_ORIGIN || (typeof origin === 'object' && origin !== null && (origin as { source?: unknown }).source === 'redis');

/** The instance a relayed awareness change came from; undefined for anything else. */
export const relayedBy = (origin: unknown): string | undefined =>
  isFromRedis(origin) ? (origin as Partial<RelayedAwarenessOrigin>).instanceId : undefined;
