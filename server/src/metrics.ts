import client from 'prom-client';
import type { Endpoint } from './sync/endpoint.ts';

/**
 * Prometheus metrics of one server, in a registry of its own (several servers in one process keep separate counts).
 * Served as text at `GET /metrics`. Labels are bounded: endpoint (2), close code (the catalogue), failure reason.
 */
export class ScrawlMetrics {
  /** The registry behind `/metrics`. */
  readonly registry = new client.Registry();
  /**
   * Traffic counts by endpoint, plain numbers bumped on the hot path (every message in and out) and read into the
   * Prometheus counters at scrape time: a prom-client `inc()` per message cost ~2 % of the relay's CPU.
   */
  readonly traffic: Record<Endpoint, { messagesIn: number; bytesIn: number; messagesOut: number; bytesOut: number }> = {
    sync: { messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0 },
    yjs: { messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0 },
  };
  /** Connections closed by the server, by close code. */
  readonly closes: client.Counter<'code'>;
  /** Refused tokens, by reason (missing, invalid, expired, forbidden). */
  readonly authFailures: client.Counter<'reason'>;
  /** Upgrades refused before any WebSocket existed, by HTTP status. */
  readonly refusedUpgrades: client.Counter<'status'>;
  /** Time from the first append of a store write (a group-committed batch) to its durability, once per write. */
  readonly appendSeconds: client.Histogram;
  /** Time one compaction took. */
  readonly compactionSeconds: client.Histogram;
  /** Unix time of the last backup this server completed (scheduled or through the admin endpoint); 0 before one. */
  readonly backupLastSuccess: client.Gauge;
  /** Duration of the last completed backup. */
  readonly backupLastDuration: client.Gauge;
  /** Bytes of the last completed backup (the archive's entries, before any compression). */
  readonly backupLastSize: client.Gauge;
  /** Backups that failed (each also logged as an error). */
  readonly backupFailures: client.Counter;

  constructor(gauges: { connections: () => Record<Endpoint, number>; roomsLoaded: () => number; joinsWaiting: () => number }) {
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry, prefix: 'scrawl_' });
    new client.Gauge({
      name: 'scrawl_connections',
      help: 'Open client connections',
      labelNames: ['endpoint'],
      registers,
      collect() {
        for (const [endpoint, count] of Object.entries(gauges.connections())) this.set({ endpoint }, count);
      },
    });
    new client.Gauge({
      name: 'scrawl_rooms_loaded',
      help: 'Rooms whose document is in memory',
      registers,
      collect() {
        this.set(gauges.roomsLoaded());
      },
    });
    new client.Gauge({
      name: 'scrawl_joins_waiting',
      help: 'WebSocket upgrades waiting for a place at the join gate (a reconnect storm in progress)',
      registers,
      collect() {
        this.set(gauges.joinsWaiting());
      },
    });
    const traffic = this.traffic;
    const trafficCounter = (name: string, help: string, field: keyof (typeof traffic)['sync']) =>
      new client.Counter({
        name,
        help,
        labelNames: ['endpoint'],
        registers,
        collect() {
          this.reset();
          for (const endpoint of ['sync', 'yjs'] as const) this.inc({ endpoint }, traffic[endpoint][field]);
        },
      });
    trafficCounter('scrawl_messages_received_total', 'Messages received from clients', 'messagesIn');
    trafficCounter('scrawl_bytes_received_total', 'Bytes received from clients', 'bytesIn');
    trafficCounter('scrawl_messages_sent_total', 'Messages sent to clients', 'messagesOut');
    trafficCounter('scrawl_bytes_sent_total', 'Bytes sent to clients', 'bytesOut');
    this.closes = new client.Counter({ name: 'scrawl_closes_total', help: 'Connections closed by the server', labelNames: ['code'], registers });
    this.authFailures = new client.Counter({ name: 'scrawl_auth_failures_total', help: 'Refused tokens', labelNames: ['reason'], registers });
    this.refusedUpgrades = new client.Counter({ name: 'scrawl_refused_upgrades_total', help: 'WebSocket upgrades refused before opening', labelNames: ['status'], registers });
    const buckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];
    this.appendSeconds = new client.Histogram({ name: 'scrawl_store_append_seconds', help: 'Store write latency: first append of a group-committed batch to durable', buckets, registers });
    this.compactionSeconds = new client.Histogram({ name: 'scrawl_store_compaction_seconds', help: 'Compaction duration', buckets, registers });
    this.backupLastSuccess = new client.Gauge({ name: 'scrawl_backup_last_success_timestamp_seconds', help: 'Unix time of the last completed backup', registers });
    this.backupLastDuration = new client.Gauge({ name: 'scrawl_backup_last_duration_seconds', help: 'Duration of the last completed backup', registers });
    this.backupLastSize = new client.Gauge({ name: 'scrawl_backup_last_size_bytes', help: 'Bytes of the last completed backup', registers });
    this.backupFailures = new client.Counter({ name: 'scrawl_backup_failures_total', help: 'Backups that failed', registers });
  }
}
