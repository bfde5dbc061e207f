/**
 * `npm run restore -- FILE [--merge]` fills the store configured like the server's (DATABASE_URL, else DATA_DIR) and
 * DATA_DIR's assets from a backup archive: LevelDB or PostgreSQL, whichever store the archive came from, which makes
 * it the way to move between them. The whole archive is checked first (every entry's SHA-256 against the manifest);
 * a damaged, truncated, foreign or newer-format archive is refused before the target is even opened. A target that
 * holds data is refused unless `--merge`. A LevelDB target must not be in use by a server (stop it first).
 *
 * `npm run restore -- --verify FILE` only checks the archive. Exit code 0 on success, 1 when refused or failed, 2 for
 * bad usage or configuration.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Config, ConfigError, loadConfig } from '../config.ts';
import type { Manifest } from '../backup/archive-format.ts';
import { verifyArchive } from '../backup/archive-reader.ts';
import { LevelDbRestoreTarget } from '../backup/leveldb-target.ts';
import { PostgresRestoreTarget } from '../backup/postgres-target.ts';
import { describeManifest, restoreArchive } from '../backup/restore.ts';
import type { RestoreTarget } from '../backup/restore-target.ts';
import type { DocStore } from '../persistence/doc-store.ts';
import { LevelDbStore } from '../persistence/leveldb-store.ts';
import { PostgresStore } from '../persistence/postgres-store.ts';
import { PostgresCatalog } from '../workspace/postgres-catalog.ts';

const usage = 'usage: npm run restore -- FILE [--merge]   or   npm run restore -- --verify FILE';

let archive: string;
let merge: boolean;
let verifyOnly: boolean;
let config: Config;
try {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { merge: { type: 'boolean' }, verify: { type: 'boolean' } } });
  if (positionals.length !== 1) throw new Error(`expected one archive file\n${usage}`);
  archive = resolve(positionals[0]);
  merge = values.merge ?? false;
  verifyOnly = values.verify ?? false;
  if (merge && verifyOnly) throw new Error(`--merge and --verify do not go together\n${usage}`);
  config = loadConfig();
} catch (error) {
  const prefix = error instanceof ConfigError ? 'bad configuration: ' : '';
  console.error(`scrawl restore: ${prefix}${(error as Error).message}`);
  process.exit(2);
}

let manifest: Manifest;
try {
  manifest = await verifyArchive(archive);
} catch (error) {
  console.error(`scrawl restore: refused: ${(error as Error).message}; nothing was written`);
  process.exit(1);
}
if (verifyOnly) {
  console.log(`scrawl restore: ${archive} is a complete, intact archive (every checksum matches)`);
  console.log(`  ${describeManifest(manifest)}`);
  process.exit(0);
}

const started = performance.now();
let store: DocStore | null = null;
let target: RestoreTarget;
try {
  if (config.databaseUrl) {
    const pgStore = new PostgresStore({ connectionString: config.databaseUrl });
    store = pgStore;
    await pgStore.open();
    // The catalog's tables, created as the server would create them.
    await new PostgresCatalog(pgStore.sharedDatabase).open();
    target = new PostgresRestoreTarget(pgStore.sharedDatabase, 'DATABASE_URL', merge);
  } else {
    const levelStore = new LevelDbStore({ directory: config.dataDir, fsync: false });
    store = levelStore;
    await levelStore.open();
    target = new LevelDbRestoreTarget(levelStore, config.dataDir, merge);
  }
  await restoreArchive({ archive, target, dataDir: config.dataDir, merge, verified: manifest });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`scrawl restore: ${merge ? 'merged' : 'restored'} ${archive} into ${target.description} in ${seconds} s`);
  console.log(`  ${describeManifest(manifest)}`);
  if (merge) console.log('  run `npm run reindex` so that the boards page reflects the merged documents');
} catch (error) {
  const partial = store instanceof LevelDbStore && !/not empty/.test((error as Error).message) ? ' (the LevelDB target may hold part of the archive: empty it before trying again)' : '';
  console.error(`scrawl restore: ${(error as Error).message}${partial}`);
  await store?.close().catch(() => {});
  process.exit(1);
}
await store.close();
