/**
 * What the capacity scenario reads off the machine beside its own figures: how busy all cores were over a window
 * (/proc/stat), the 1-minute load average, the CPU of processes it did not start (PostgreSQL's backends, by command
 * name in /proc) and Redis's own counters (INFO). Every ceiling is measured on two cores shared by server, clients,
 * databases and whatever else runs, so these numbers travel with every figure.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg } from 'node:os';
import { CLK_TCK } from '../servers.ts';

/** Share of all cores busy, and the load average, over one window. */
export interface MachineWindow {
  busyPct: number;
  load1: number;
}

function cpuTimes(): { idle: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { idle: fields[3] + (fields[4] ?? 0), total: fields.reduce((a, b) => a + b, 0) };
}

/** Starts a window now; the returned function ends it and says how busy the machine was meanwhile. */
export function machineWindow(): () => MachineWindow {
  const a = cpuTimes();
  return () => {
    const b = cpuTimes();
    const busyPct = b.total === a.total ? 0 : 100 * (1 - (b.idle - a.idle) / (b.total - a.total));
    return { busyPct, load1: loadavg()[0] };
  };
}

/** utime + stime (s) summed over every process whose command name is `comm` (e.g. all `postgres` backends). */
export function cpuSecondsOf(comm: string): number {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== comm) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
    } catch {
      // the process ended between listing and reading: its time is gone with it
    }
  }
  return total;
}

/**
 * Redis's `INFO` as a map of its `field:value` lines (sections `cpu` and `stats` hold what the scenario reads:
 * used_cpu_*_main_thread, total_net_input_bytes, ...). Over a bare socket with RESP, as scaleout.ts's PING is: the
 * bench has no Redis client library of its own.
 */
export function redisInfo(url: string, section = 'everything'): Promise<Map<string, string>> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.hostname.replace(/^\[|\]$/g, ''), port: Number(target.port || 6379) });
    const chunks: Buffer[] = [];
    socket.setTimeout(3_000, () => {
      socket.destroy();
      reject(new Error('Redis INFO timed out'));
    });
    socket.once('error', reject);
    socket.once('connect', () => {
      const auth = target.password ? `AUTH ${decodeURIComponent(target.password)}\r\n` : '';
      socket.write(`${auth}INFO ${section}\r\n`);
    });
    socket.on('data', (data: Buffer) => {
      chunks.push(data);
      const text = Buffer.concat(chunks).toString();
      // The reply is one bulk string: `$<length>\r\n<body>\r\n`, after `+OK\r\n` when we authenticated.
      const header = /\$(\d+)\r\n/.exec(text);
      if (!header) return;
      const start = header.index + header[0].length;
      if (Buffer.byteLength(text.slice(start)) < Number(header[1])) return;
      socket.destroy();
      const fields = new Map<string, string>();
      for (const line of text.slice(start).split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
      }
      resolve(fields);
    });
  });
}

/** Redis's main-thread CPU seconds (user + sys), the thread that runs every command and every pub/sub delivery. */
export async function redisMainThreadCpuSeconds(url: string): Promise<number> {
  const info = await redisInfo(url, 'cpu');
  const main = Number(info.get('used_cpu_user_main_thread')) + Number(info.get('used_cpu_sys_main_thread'));
  // Redis < 6 has no per-thread figures; its process totals are then the best there is.
  return Number.isFinite(main) ? main : Number(info.get('used_cpu_user')) + Number(info.get('used_cpu_sys'));
}
