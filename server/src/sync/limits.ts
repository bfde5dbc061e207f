/** Abuse limits of the socket layer. Every field has a default; see {@link DEFAULT_LIMITS}. */
export interface Limits {
  /** Messages per second one connection may send on average; above it (after the burst) it is closed 4429. */
  messagesPerSecond: number;
  /** Messages one connection may send at once before the average applies. */
  messageBurst: number;
  /** Bytes per second one connection may send on average; above it (after the burst) it is closed 4429. */
  bytesPerSecond: number;
  /** Bytes one connection may send at once before the average applies (at least one largest message). */
  byteBurst: number;
  /**
   * Unsent bytes a connection may have queued: a client above it at two heartbeats in a row, or at any moment above
   * four times it plus the largest single message it was sent, is closed 1013 (it is not reading). A single large
   * sync may pass it for a moment.
   */
  maxBufferedBytes: number;
  /** A connection that has not opened a document within this time is closed 4401. */
  authTimeoutMs: number;
  /** WebSocket upgrades per second one client address may make on average; above it, HTTP 429. */
  upgradesPerSecondPerAddress: number;
  /** Upgrades one client address may make at once before the average applies. */
  upgradeBurstPerAddress: number;
  /** Unauthenticated documents one connection may have pending at once (Hocuspocus's maxPendingDocuments). */
  maxPendingDocuments: number;
  /** Bytes one connection may queue before it is authenticated (Hocuspocus's maxUnauthenticatedQueueSize). */
  maxUnauthenticatedBytes: number;
}

/**
 * Defaults sized for people drawing: a pointer at 60 Hz plus cursors at 10 Hz is ~70 messages/s, so 300/s with a
 * burst of 1,000 leaves room for reconnect catch-up; bytes allow a full 16 MiB message in a burst. The per-address
 * upgrade limit is generous because many clients can share an address (an office NAT, a proxy without TRUST_PROXY)
 * and all of them reconnect at once after a restart.
 */
export const DEFAULT_LIMITS: Limits = {
  messagesPerSecond: 300,
  messageBurst: 1_000,
  bytesPerSecond: 4 * 1024 * 1024,
  byteBurst: 32 * 1024 * 1024,
  maxBufferedBytes: 32 * 1024 * 1024,
  authTimeoutMs: 10_000,
  upgradesPerSecondPerAddress: 200,
  upgradeBurstPerAddress: 2_000,
  maxPendingDocuments: 10,
  maxUnauthenticatedBytes: 1024 * 1024,
};

/** A token bucket: `rate` tokens per second, holding at most `burst`. Cheap enough for one per connection. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private readonly rate: number;
  private readonly burst: number;

  constructor(rate: number, burst: number, now = performance.now()) {
    this.rate = rate;
    this.burst = burst;
    this.tokens = burst;
    this.updatedAt = now;
  }

  /** Takes `amount` tokens if there are enough; returns false (taking none) otherwise. */
  take(amount: number, now = performance.now()): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.rate);
    this.updatedAt = now;
    if (this.tokens < amount) return false;
    this.tokens -= amount;
    return true;
  }

  /** True when the bucket is full again, i.e. forgetting it changes nothing. */
  isFull(now = performance.now()): boolean {
    return this.tokens + ((now - this.updatedAt) / 1000) * this.rate >= this.burst;
  }
}

/** Token buckets per client address, forgotten once full again so the map stays small. */
export class AddressLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly rate: number;
  private readonly burst: number;

  constructor(rate: number, burst: number) {
    this.rate = rate;
    this.burst = burst;
  }

  /** Counts one attempt from `address`; false when it is over its limit. */
  allow(address: string): boolean {
    let bucket = this.buckets.get(address);
    if (!bucket) {
      bucket = new TokenBucket(this.rate, this.burst);
      this.buckets.set(address, bucket);
    }
    return bucket.take(1);
  }

  /** Drops the buckets that are full again (called from the heartbeat). */
  prune(): void {
    for (const [address, bucket] of this.buckets) if (bucket.isFull()) this.buckets.delete(address);
  }
}
