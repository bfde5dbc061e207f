/**
 * `npm run backup -- --out FILE [--server URL]` writes one archive of everything (docs/backups.md), while the server
 * runs. Where it reads from:
 *
 * - DATABASE_URL set: PostgreSQL directly, in one repeatable-read transaction (any number of processes may), plus the
 *   assets under DATA_DIR;
 * - otherwise the LevelDB store in DATA_DIR, directly when no server holds it; when a server does (LevelDB admits one
 *   process), that server is asked for the archive: `GET /api/admin/backup` at `--server` (default
 *   http(s)://127.0.0.1:PORT), with an admin token minted from AUTH_SECRET when it is set.
 *
 * The archive is written to a temporary name, fsynced, checked and only then renamed to FILE (`.tar`, or `.tar.gz`
 * compressed). Exit code 0 on success, 1 when the backup failed, 2 for bad usage or configuration.
 */
import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { type Config, ConfigError, loadConfig } from '../config.ts';
import { BackupError } from '../backup/archive-format.ts';
import { BACKUP_PATH } from '../backup/backup-endpoint.ts';
import { backupToFile, writeBackup } from '../backup/backup.ts';
import { describeManifest } from '../backup/restore.ts';
import { StoreUnavailableError } from '../persistence/doc-store.ts';
import { LevelDbStore } from '../persistence/leveldb-store.ts';
import { PostgresStore } from '../persistence/postgres-store.ts';
import { TokenVerifier } from '../sync/auth.ts';

const usage = 'usage: npm run backup -- --out FILE [--server URL]';

let config: Config;
let out: string;
let server: string | undefined;
try {
  const { values } = parseArgs({ options: { out: { type: 'string' }, server: { type: 'string' } } });
  if (!values.out) throw new Error(`--out FILE is required\n${usage}`);
  out = resolve(values.out);
  server = values.server;
  config = loadConfig();
} catch (error) {
  const prefix = error instanceof ConfigError ? 'bad configuration: ' : '';
  console.error(`scrawl backup: ${prefix}${(error as Error).message}`);
  process.exit(2);
}

try {
  const started = performance.now();
  const { source, result } = await takeBackup();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`scrawl backup: wrote ${result.path} (${(result.fileBytes / 1024 / 1024).toFixed(1)} MiB) from ${source} in ${seconds} s`);
  console.log(`  ${describeManifest(result.manifest)}`);
} catch (error) {
  console.error(`scrawl backup: failed: ${(error as Error).message}`);
  process.exit(1);
}

async function takeBackup() {
  if (server !== undefined) return { source: server, result: await backupToFile(out, (output) => fromServer(server!, output)) };
  if (config.databaseUrl) {
    const store = new PostgresStore({ connectionString: config.databaseUrl });
    await store.open();
    try {
      return { source: 'PostgreSQL (DATABASE_URL)', result: await backupToFile(out, (output) => writeBackup(store, config.dataDir, output)) };
    } finally {
      await store.close();
    }
  }
  // Opening a directory that holds no database would create an empty one, and back up nothing.
  if (!existsSync(resolve(config.dataDir, 'CURRENT'))) {
    throw new BackupError(`DATA_DIR ${config.dataDir} holds no Scrawl store (no LevelDB database there); is DATA_DIR set as for the server?`);
  }
  const store = new LevelDbStore({ directory: config.dataDir });
  try {
    await store.open();
  } catch (error) {
    if (!isLocked(error)) throw error;
    const url = `${config.tls ? 'https' : 'http'}://127.0.0.1:${config.port}`;
    return { source: `the running server at ${url}`, result: await backupToFile(out, (output) => fromServer(url, output)) };
  }
  try {
    return { source: `DATA_DIR ${config.dataDir}`, result: await backupToFile(out, (output) => writeBackup(store, config.dataDir, output)) };
  } finally {
    await store.close();
  }
}

/** True when the LevelDB directory is held by another process (a running server). */
function isLocked(error: unknown): boolean {
  if (!(error instanceof StoreUnavailableError)) return false;
  const cause = error.cause as { code?: string; cause?: { code?: string } } | undefined;
  return cause?.code === 'LEVEL_LOCKED' || cause?.cause?.code === 'LEVEL_LOCKED';
}

/** Streams the running server's archive (GET /api/admin/backup) into `output`. */
async function fromServer(base: string, output: Writable): Promise<void> {
  const url = new URL(BACKUP_PATH, base);
  const headers: Record<string, string> = {};
  if (config.authSecret) {
    const token = await new TokenVerifier(config.authSecret).mint({ room: '*', mode: 'rw', sub: 'npm run backup' }, 600);
    headers.authorization = `Bearer ${token}`;
  }
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  const response = await new Promise<import('node:http').IncomingMessage>((resolveResponse, reject) => {
    const options = { headers, ...(url.protocol === 'https:' ? { rejectUnauthorized: !loopback } : {}) };
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, resolveResponse);
    req.on('error', (error) => reject(new BackupError(`cannot reach the server at ${base} (${error.message}); is it running? pass --server URL`)));
    req.end();
  });
  if (response.statusCode !== 200) {
    let body = '';
    for await (const chunk of response) body += chunk;
    const reason = (() => {
      try {
        return (JSON.parse(body) as { error?: string }).error ?? body;
      } catch {
        return body;
      }
    })();
    throw new BackupError(`the server at ${base} answered ${response.statusCode}: ${reason}`);
  }
  await pipeline(response, output);
}
