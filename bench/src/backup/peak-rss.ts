/**
 * Preloaded into the backup and restore CLIs by the backup scenario (`node --import peak-rss.ts ...`): when the process
 * exits, writes its peak resident set size (getrusage's ru_maxrss, the kernel's own high-water mark, so no sampling
 * can miss a short peak) and its CPU time to the file named by BENCH_PEAK_RSS_FILE. The CLIs themselves are unchanged.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_PEAK_RSS_FILE;
if (file) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKiB: usage.maxRSS, cpuS: (usage.userCPUTime + usage.systemCPUTime) / 1e6 }));
  });
}
