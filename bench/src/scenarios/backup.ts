/**
 * Backups (issue 15): what `npm run backup` and `npm run restore` cost on a large LevelDB store, and what a backup
 * taken from the running server costs the relay's acknowledgements.
 *
 * 1. A store of BENCH_BACKUP_MB (default 1024) MiB of stored Yjs bytes is generated through the store's own API
 *    (bench/src/backup/store.ts: rooms with snapshots, logs, versions, catalog entries, thumbnails and asset files).
 *    Not measured.
 * 2. With no server running, `npm run backup` opens DATA_DIR itself: time, peak RSS (ru_maxrss of the process) and CPU
 *    time; then `npm run restore -- --verify` on the archive (the same check the backup ends with, alone), a restore
 *    into an empty DATA_DIR, and one into an empty PostgreSQL database when TEST_DATABASE_URL (or the default local
 *    address) answers; the database is dropped afterwards. The CLIs are the scripts the npm commands run, started
 *    directly so npm's own start-up is not in the figures (bench/src/backup/cli.ts).
 * 3. Scrawl then serves the store, with 50 writers over 20 rooms at 5 updates/s each (bench/src/backup/ack-load.ts)
 *    and durability.ts's one-at-a-time probe beside them. Acknowledgement latency is read in three windows of the same
 *    run: without a backup, while `npm run backup` runs against that server (the CLI finds DATA_DIR locked and
 *    streams GET /api/admin/backup; split into the streaming and the CLI's fsync-and-check parts), and after it. Then
 *    a control: the same backup with `--out` on tmpfs (/dev/shm), so the archive's 1+ GB never reaches the disk that
 *    holds DATA_DIR; what is left of the cost is the server's own work and the CPU. The server's memory is sampled
 *    every 100 ms, anonymous and file-backed apart (LevelDB maps its table files: see cli.ts's MemorySampler).
 *
 * Every file it makes lives in the bench's run directory and is removed as soon as it has been measured.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statfsSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { LevelDbStore } from '../../../server/src/persistence/leveldb-store.ts';
import { AckLoad, figures, probeWhile, type AckFigures } from '../backup/ack-load.ts';
import { MemorySampler, mustSucceed, runCli, type CliRun, type MemoryPeaks } from '../backup/cli.ts';
import { generateStore, type GeneratedStore } from '../backup/store.ts';
import { freshDatabase } from '../scaleout.ts';
import { reportLog, type Context, type Scenario, type Value } from '../scenario.ts';
import { benchRunDir, ServerProcess, type Target } from '../servers.ts';
import { fmt, sleep } from '../stats.ts';

const TARGET_MIB = Number(process.env.BENCH_BACKUP_MB) || 1024;
const WRITERS = 50;
const LOAD_ROOMS = 20;
const UPDATES_PER_S = 5;
const WARMUP_MS = 3_000;
const MiB = 1024 * 1024;
/** A filesystem in memory, for the archive of the control backup (no disk writes, no fsync reaching the disk). */
const TMPFS = '/dev/shm';
const tmpfsPrefix = `scrawl-bench-backup-${process.pid}.tar`;

/** The share of time (%) some task waited for a CPU over the last 10 s (/proc/pressure/cpu): how shared the machine is. */
function cpuPressure(): string {
  try {
    return `${/avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))![1]} %`;
  } catch {
    return 'n/a';
  }
}

function machineNow(): string {
  return `load average ${loadavg()[0].toFixed(2)}, CPU pressure ${cpuPressure()}`;
}

/** Bytes a directory takes on disk (du -sk). */
function diskBytes(dir: string): number {
  return Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]) * 1024;
}

/** VmHWM of a process (its peak RSS so far), KiB. */
function peakRssKiB(pid: number): number {
  const match = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : Number.NaN;
}

const mib = (kib: number) => kib / 1024;
const seconds = (run: CliRun) => run.wallMs / 1000;
const pair = (f: AckFigures) => `${fmt(f.p50)} / ${fmt(f.p99)}`;
/** A peak RSS with its parts: "1271 (anon 180, files 1090)". */
const rssCell = (peakKiB: number, parts: MemoryPeaks) => `${fmt(mib(peakKiB))} (anon ${fmt(mib(parts.anonKiB))}, files ${fmt(mib(parts.fileKiB))})`;

/**
 * When the archive's temporary file last grew: the end of the streaming part of a backup (fsync, the read-back check
 * and the rename follow). Polled every 100 ms while the CLI runs.
 */
class GrowthWatch {
  lastGrowthAt = Number.NaN;
  private size = -1;
  private readonly timer: NodeJS.Timeout;

  constructor(dir: string, prefix: string) {
    this.timer = setInterval(() => {
      const temporary = readdirSync(dir).find((name) => name.startsWith(prefix) && name.endsWith('.tmp'));
      if (!temporary) return;
      try {
        const size = statSync(join(dir, temporary)).size;
        if (size !== this.size) {
          this.size = size;
          this.lastGrowthAt = performance.now();
        }
      } catch {
        // renamed between the listing and the stat: the stream had ended before
      }
    }, 100);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

function describe(store: GeneratedStore): string {
  return `${store.rooms} rooms, ${store.logEntries} log entries, ${store.versions} versions, ${store.assets} assets ` +
    `(${fmt(store.assetBytes / MiB)} MiB), ${store.catalogEntries} catalog entries, ${store.thumbnails} thumbnails`;
}

/** Restores `archive` into an empty DATA_DIR and, when PostgreSQL answers, into a fresh database; both removed after. */
async function restores(archive: string, archiveBytes: number, ctx: Context): Promise<Record<string, Value>> {
  const out: Record<string, Value> = {};
  const target = join(benchRunDir(), 'backup-restored-leveldb');
  mkdirSync(target);
  try {
    const run = mustSucceed(await runCli('restore', [archive], { DATA_DIR: target }), 'restore into LevelDB');
    const onDisk = diskBytes(target);
    console.log(`  restore into an empty DATA_DIR: ${fmt(seconds(run))} s, peak RSS ${fmt(mib(run.peakRssKiB))} MiB, CPU ${fmt(run.cpuS)} s, ${fmt(onDisk / MiB)} MiB on disk (${machineNow()})`);
    Object.assign(out, { ldbS: seconds(run), ldbMBs: archiveBytes / MiB / seconds(run), ldbRss: rssCell(run.peakRssKiB, run.memory), ldbCpu: run.cpuS });
  } finally {
    rmSync(target, { recursive: true, force: true });
  }
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  try {
    db = await freshDatabase();
  } catch (error) {
    ctx.note('backup', `PostgreSQL restore skipped: ${(error as Error).message}; start it with \`source scripts/services.sh && ensure_postgres\``);
    return { ...out, pgS: 'skipped', pgMBs: 'skipped', pgRss: 'skipped', pgCpu: 'skipped' };
  }
  const assets = join(benchRunDir(), 'backup-restored-pg-assets');
  mkdirSync(assets);
  try {
    const run = mustSucceed(await runCli('restore', [archive], { DATABASE_URL: db.url, DATA_DIR: assets }), 'restore into PostgreSQL');
    console.log(`  restore into an empty PostgreSQL database: ${fmt(seconds(run))} s, peak RSS ${fmt(mib(run.peakRssKiB))} MiB, CPU ${fmt(run.cpuS)} s (${machineNow()})`);
    Object.assign(out, { pgS: seconds(run), pgMBs: archiveBytes / MiB / seconds(run), pgRss: rssCell(run.peakRssKiB, run.memory), pgCpu: run.cpuS });
  } finally {
    rmSync(assets, { recursive: true, force: true });
    await db.drop();
  }
  return out;
}

/** What the online part measured. */
interface Online {
  run: CliRun;
  archiveBytes: number;
  without: AckFigures;
  during: AckFigures;
  streaming: AckFigures;
  checking: AckFigures;
  streamS: number;
  after: AckFigures;
  probeWithout: AckFigures;
  probeDuring: AckFigures;
  serverRssBefore: number;
  serverRssPeak: number;
  serverMemory: MemoryPeaks;
  quietMemory: MemoryPeaks;
  serverHwmBefore: number;
  serverHwmAfter: number;
  serverCpuPctWithout: number;
  serverCpuPctDuring: number;
  /** The same backup with its archive on tmpfs, when there is room: the relay's cost without the archive's disk writes. */
  tmpfs?: { run: CliRun; during: AckFigures; streaming: AckFigures };
}

/** Scrawl on the store under a steady load; ack windows without, during and after `npm run backup` through it. */
async function online(target: Target, dataDir: string, windowS: number, ctx: Context): Promise<Online> {
  const server = await ServerProcess.start('scrawl', { DATA_DIR: dataDir });
  const archive = join(benchRunDir(), 'backup-online.tar');
  let load: AckLoad | undefined;
  try {
    const rooms = Array.from({ length: LOAD_ROOMS }, (_, i) => `backup-load-${i}`);
    load = await AckLoad.connect(target, server.port, rooms, WRITERS);
    load.start(UPDATES_PER_S);
    await sleep(WARMUP_MS);

    // Without a backup: the load, and the one-at-a-time probe beside it.
    const quietFrom = performance.now();
    const cpu0 = server.cpuSeconds();
    let quietOpen = true;
    const quietSampler = new MemorySampler(server.pid);
    const quietProbe = probeWhile(target, server.port, () => quietOpen, 'quiet');
    await sleep(windowS * 1000);
    quietOpen = false;
    quietSampler.stop();
    const quietTo = performance.now();
    const cpu1 = server.cpuSeconds();
    const probeWithout = await quietProbe;

    // With a backup running against this server.
    const serverRssBefore = server.rssKiB();
    const serverHwmBefore = peakRssKiB(server.pid);
    let serverRssPeak = serverRssBefore;
    const sampler = setInterval(() => {
      if (server.alive) serverRssPeak = Math.max(serverRssPeak, server.rssKiB());
    }, 100);
    const serverSampler = new MemorySampler(server.pid);
    const growth = new GrowthWatch(benchRunDir(), '.backup-online.tar.');
    let backupOpen = true;
    const backupFrom = performance.now();
    const backupProbe = probeWhile(target, server.port, () => backupOpen, 'backup');
    const run = await runCli('backup', ['--out', archive], { DATA_DIR: dataDir, PORT: String(server.port) });
    const backupTo = performance.now();
    const cpu2 = server.cpuSeconds();
    backupOpen = false;
    clearInterval(sampler);
    serverSampler.stop();
    growth.stop();
    const streamEnd = Number.isNaN(growth.lastGrowthAt) ? backupTo : growth.lastGrowthAt;
    const serverHwmAfter = peakRssKiB(server.pid);
    mustSucceed(run, 'npm run backup against the running server');
    if (!/from the running server/.test(run.stdout)) ctx.note(target, `the backup did not go through the server: ${run.stdout.trim()}`);
    const probeDuring = await backupProbe;

    // After it, to see whether the load itself drifted.
    const archiveBytes = statSync(archive).size;
    rmSync(archive, { force: true });
    const afterFrom = performance.now();
    await sleep(Math.min(windowS, 10) * 1000);
    const afterTo = performance.now();

    // The control: the same backup written to memory. What remains of the cost is the server's streaming and the CPU.
    let tmpfs: Online['tmpfs'];
    const free = existsSync(TMPFS) ? statfsSync(TMPFS).bavail * statfsSync(TMPFS).bsize : 0;
    if (free > 2 * archiveBytes) {
      const growthShm = new GrowthWatch(TMPFS, `.${tmpfsPrefix}.`);
      const from = performance.now();
      const shmRun = await runCli('backup', ['--out', join(TMPFS, tmpfsPrefix)], { DATA_DIR: dataDir, PORT: String(server.port) });
      const to = performance.now();
      growthShm.stop();
      rmSync(join(TMPFS, tmpfsPrefix), { force: true });
      mustSucceed(shmRun, 'npm run backup to tmpfs');
      const end = Number.isNaN(growthShm.lastGrowthAt) ? to : growthShm.lastGrowthAt;
      tmpfs = { run: shmRun, during: figures(load.window(from, to)), streaming: figures(load.window(from, end)) };
    } else {
      ctx.note(target, `no tmpfs backup: ${TMPFS} has ${fmt(free / MiB)} MiB free`);
    }
    const lost = load.lost();
    await load.close();
    const unacked = load.unacknowledged(quietFrom, afterTo);
    if (unacked > 0 || load.refusals > 0) ctx.note(target, `${unacked} updates never acknowledged, ${load.refusals} refused`);
    if (lost > 0) ctx.note(target, `${lost} of ${WRITERS} writers lost their connection`);
    return {
      run,
      archiveBytes,
      without: figures(load.window(quietFrom, quietTo)),
      during: figures(load.window(backupFrom, backupTo)),
      streaming: figures(load.window(backupFrom, streamEnd)),
      checking: figures(load.window(streamEnd, backupTo)),
      streamS: (streamEnd - backupFrom) / 1000,
      after: figures(load.window(afterFrom, afterTo)),
      probeWithout: figures(probeWithout),
      probeDuring: figures(probeDuring),
      serverRssBefore,
      serverRssPeak,
      serverMemory: serverSampler.peaks,
      quietMemory: quietSampler.peaks,
      serverHwmBefore,
      serverHwmAfter,
      serverCpuPctWithout: (100 * (cpu1 - cpu0)) / ((quietTo - quietFrom) / 1000),
      serverCpuPctDuring: (100 * (cpu2 - cpu1)) / ((backupTo - backupFrom) / 1000),
      tmpfs,
    };
  } finally {
    if (load) await load.close().catch(() => {});
    if (!server.alive) ctx.note(target, `server process exited unexpectedly (${server.child.exitCode ?? server.child.signalCode})`);
    await server.stop();
    reportLog(server, target, ctx);
    rmSync(archive, { force: true });
    // A CLI stopped midway leaves its temporary beside the archive.
    if (existsSync(TMPFS)) for (const name of readdirSync(TMPFS)) if (name.includes(tmpfsPrefix)) rmSync(join(TMPFS, name), { force: true });
  }
}

/** `npm run bench -- backup` (opt-in: about 6-9 minutes on 2 shared cores, most of it generating the store). */
export const backup: Scenario = {
  name: 'backup',
  title: `backups: npm run backup / restore on a generated ${fmt(TARGET_MIB / 1024)} GiB LevelDB store, and the relay's acks while a backup runs`,
  targets: ['scrawl-sync'],
  optIn: true,
  metrics: [
    { key: 'store', label: 'stored Yjs bytes (MiB), generated', ratio: false },
    { key: 'disk', label: 'DATA_DIR on disk: LevelDB + assets (MiB)', ratio: false },
    { key: 'archive', label: 'archive size (MiB)', ratio: false },
    { key: 'offS', label: 'backup, server stopped: time (s)', ratio: false },
    { key: 'offMBs', label: 'backup, server stopped: MiB/s of archive', ratio: false },
    { key: 'offRss', label: 'backup, server stopped: peak RSS of the CLI (MiB)', target: 'bounded', ratio: false },
    { key: 'offCpu', label: 'backup, server stopped: CPU time of the CLI (s)', ratio: false },
    { key: 'verifyS', label: 'restore --verify of the archive: time (s)', ratio: false },
    { key: 'verifyRss', label: 'restore --verify: peak RSS (MiB)', ratio: false },
    { key: 'ldbS', label: 'restore into empty LevelDB: time (s)', ratio: false },
    { key: 'ldbMBs', label: 'restore into empty LevelDB: MiB/s of archive', ratio: false },
    { key: 'ldbRss', label: 'restore into empty LevelDB: peak RSS (MiB)', target: 'bounded', ratio: false },
    { key: 'ldbCpu', label: 'restore into empty LevelDB: CPU time (s)', ratio: false },
    { key: 'pgS', label: 'restore into empty PostgreSQL: time (s)', ratio: false },
    { key: 'pgMBs', label: 'restore into empty PostgreSQL: MiB/s of archive', ratio: false },
    { key: 'pgRss', label: 'restore into empty PostgreSQL: peak RSS (MiB)', target: 'bounded', ratio: false },
    { key: 'pgCpu', label: 'restore into empty PostgreSQL: CPU time (s)', ratio: false },
    { key: 'onS', label: 'backup through the running server, under load: time (s)', ratio: false },
    { key: 'onMBs', label: 'backup through the running server: MiB/s of archive', ratio: false },
    { key: 'onCliRss', label: 'backup through the server: peak RSS of the CLI (MiB)', ratio: false },
    { key: 'onServerRss', label: 'server RSS before -> peak during the backup (MiB)', ratio: false },
    { key: 'onServerCpu', label: 'server CPU without -> during the backup (% of a core)', ratio: false },
    { key: 'ackWithout', label: `ack p50 / p99 (ms), ${WRITERS} writers, no backup`, ratio: false },
    { key: 'ackDuring', label: 'ack p50 / p99 (ms), during the backup', ratio: false },
    { key: 'ackStreaming', label: 'ack p50 / p99 (ms), while the server streams', ratio: false },
    { key: 'ackChecking', label: 'ack p50 / p99 (ms), while the CLI fsyncs and checks', ratio: false },
    { key: 'streamS', label: 'streaming part of the backup (s)', ratio: false },
    { key: 'dirty', label: 'machine Dirty+Writeback peak (MiB): no backup -> during', ratio: false },
    { key: 'shmS', label: `control: backup with the archive on tmpfs (${TMPFS}): time (s)`, ratio: false },
    { key: 'ackShm', label: 'ack p50 / p99 (ms), during the tmpfs backup', ratio: false },
    { key: 'ackShmStreaming', label: 'ack p50 / p99 (ms), while the server streams it', ratio: false },
    { key: 'ackAfter', label: 'ack p50 / p99 (ms), after it', ratio: false },
    { key: 'ackMax', label: 'ack max (ms): no backup / during / after', ratio: false },
    { key: 'ackCounts', label: 'acks measured: no backup / during / after', ratio: false },
    { key: 'probe', label: 'one-at-a-time ack p50 / p99 (ms): no backup; during', ratio: false },
  ],
  async run(target, ctx) {
    const dataDir = join(benchRunDir(), 'backup-store');
    const archive = join(benchRunDir(), 'backup-offline.tar');
    mkdirSync(dataDir, { recursive: true });
    try {
      const store = new LevelDbStore({ directory: dataDir });
      await store.open();
      const generated = await generateStore(store, dataDir, TARGET_MIB * MiB, (done) => {
        console.log(`  generating: ${fmt(done.yjsBytes / MiB)} MiB of Yjs bytes in ${fmt(done.ms / 1000)} s`);
      });
      await store.close();
      const disk = diskBytes(dataDir);
      console.log(`  generated ${fmt(generated.yjsBytes / MiB)} MiB of stored Yjs bytes (snapshots ${fmt(generated.snapshotBytes / MiB)}, ` +
        `log ${fmt(generated.logBytes / MiB)}, versions ${fmt(generated.versionBytes / MiB)}) in ${fmt(generated.ms / 1000)} s: ` +
        `${describe(generated)}; ${fmt(disk / MiB)} MiB on disk (${machineNow()})`);

      const offline = mustSucceed(await runCli('backup', ['--out', archive], { DATA_DIR: dataDir }), 'npm run backup (server stopped)');
      const archiveBytes = statSync(archive).size;
      console.log(`  backup, server stopped: ${fmt(seconds(offline))} s, ${fmt(archiveBytes / MiB)} MiB, peak RSS ${fmt(mib(offline.peakRssKiB))} MiB, ` +
        `CPU ${fmt(offline.cpuS)} s (${machineNow()})\n    ${offline.stdout.trim().split('\n').join('\n    ')}`);
      const verify = mustSucceed(await runCli('restore', ['--verify', archive], {}), 'npm run restore -- --verify');
      console.log(`  restore --verify: ${fmt(seconds(verify))} s, peak RSS ${fmt(mib(verify.peakRssKiB))} MiB, CPU ${fmt(verify.cpuS)} s (${machineNow()})`);
      const restored = await restores(archive, archiveBytes, ctx);
      rmSync(archive, { force: true });

      const live = await online(target, dataDir, Math.max(20, 2 * ctx.durationS), ctx);
      console.log(`  backup through the running server: ${fmt(seconds(live.run))} s, ${fmt(live.archiveBytes / MiB)} MiB, CLI peak RSS ${fmt(mib(live.run.peakRssKiB))} MiB; ` +
        `server VmHWM ${fmt(mib(live.serverHwmBefore))} -> ${fmt(mib(live.serverHwmAfter))} MiB (${machineNow()})`);
      return {
        store: generated.yjsBytes / MiB,
        disk: disk / MiB,
        archive: archiveBytes / MiB,
        offS: seconds(offline),
        offMBs: archiveBytes / MiB / seconds(offline),
        offRss: rssCell(offline.peakRssKiB, offline.memory),
        offCpu: offline.cpuS,
        verifyS: seconds(verify),
        verifyRss: rssCell(verify.peakRssKiB, verify.memory),
        ...restored,
        onS: seconds(live.run),
        onMBs: live.archiveBytes / MiB / seconds(live.run),
        onCliRss: rssCell(live.run.peakRssKiB, live.run.memory),
        onServerRss: `${fmt(mib(live.serverRssBefore))} -> ${fmt(mib(live.serverRssPeak))} (anon ${fmt(mib(live.serverMemory.anonKiB))}, files ${fmt(mib(live.serverMemory.fileKiB))})`,
        onServerCpu: `${fmt(live.serverCpuPctWithout)} -> ${fmt(live.serverCpuPctDuring)}`,
        ackWithout: pair(live.without),
        ackDuring: pair(live.during),
        ackStreaming: pair(live.streaming),
        ackChecking: pair(live.checking),
        streamS: live.streamS,
        dirty: `${fmt(mib(live.quietMemory.dirtyKiB))} -> ${fmt(mib(live.serverMemory.dirtyKiB))}`,
        ackAfter: pair(live.after),
        shmS: live.tmpfs ? seconds(live.tmpfs.run) : 'skipped',
        ackShm: live.tmpfs ? pair(live.tmpfs.during) : 'skipped',
        ackShmStreaming: live.tmpfs ? pair(live.tmpfs.streaming) : 'skipped',
        ackMax: `${fmt(live.without.max)} / ${fmt(live.during.max)} / ${fmt(live.after.max)}`,
        ackCounts: `${live.without.count} / ${live.during.count} / ${live.after.count}`,
        probe: `${pair(live.probeWithout)}; ${pair(live.probeDuring)}`,
      };
    } finally {
      rmSync(archive, { force: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
