/**
 * Stepping load up until it no longer holds, shared by the capacity scenario's parts: each part says what one step is
 * and whether it held (p99 within bound, deliveries keeping up); this runs the steps in order, stops at the first one
 * that fails or when the part's time is up, and prints each step as it goes so a long run shows progress.
 */
import { fmt } from '../stats.ts';

/** The bound every part holds its steps to: delivery (or commit) p99 at most this. */
export const P99_BOUND_MS = 100;

/**
 * Windows measured at one load before it counts as failed. Other work on a shared machine only ever adds latency, so a
 * window that held shows what the server does; a failure has to repeat to count.
 */
export const ATTEMPTS = 3;

/** Deliveries that must arrive within a step's window for it to hold (the rest may still be on their way). */
export const KEEP_UP = 0.9;

/**
 * Whether a delivery step held: p99 within {@link P99_BOUND_MS}, at least {@link KEEP_UP} of the expected deliveries
 * arrived and no client was lost; when it did not, why, in words.
 */
export function deliveryVerdict(p99: number, keptUp: number, lost: number): Pick<Step, 'held' | 'why'> {
  const held = p99 <= P99_BOUND_MS && keptUp >= KEEP_UP && lost === 0;
  if (held) return { held };
  const why = [
    p99 > P99_BOUND_MS ? `p99 ${p99.toFixed(0)} ms > ${P99_BOUND_MS}` : '',
    keptUp < KEEP_UP ? `${(100 * keptUp).toFixed(0)} % of deliveries arrived` : '',
    lost > 0 ? `${lost} clients lost` : '',
    Number.isNaN(p99) ? 'no samples' : '',
  ].filter(Boolean).join(', ');
  return { held, why };
}

/** One measured step of any part. */
export interface Step {
  /** Whether the step held (see the part for what that means). */
  held: boolean;
  /** Why it did not, when it did not. */
  why?: string;
  /** Printed per step and in the docs: column name -> value. */
  cells: Record<string, number | string>;
}

/** The steps measured, the last that held and the first that failed (either may be missing). */
export interface Stepped {
  steps: Step[];
  lastHeld?: Step;
  firstFailed?: Step;
  /** Set when the part ran out of steps or time before anything failed. */
  stoppedBecause?: string;
}

/**
 * Runs `measure` for each of `loads` until one fails {@link ATTEMPTS} windows in a row (the load unchanged), the loads
 * run out or `budgetMs` has passed (a step that started in time is finished). `name` prefixes the progress lines.
 */
export async function stepUp(name: string, loads: number[], budgetMs: number, measure: (load: number) => Promise<Step>): Promise<Stepped> {
  const began = performance.now();
  const out: Stepped = { steps: [] };
  for (const load of loads) {
    if (performance.now() - began > budgetMs) {
      out.stoppedBecause = `time budget of ${Math.round(budgetMs / 1000)} s spent`;
      return out;
    }
    let step!: Step;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      step = await measure(load);
      out.steps.push(step);
      console.log(`  capacity ${name}: ${attempt > 1 ? `attempt ${attempt}: ` : ''}${step.held ? 'held ' : 'FAILED'} ${describeCells(step.cells)}${step.why ? ` (${step.why})` : ''}`);
      if (step.held) break;
    }
    if (!step.held) {
      out.firstFailed = step;
      return out;
    }
    out.lastHeld = step;
  }
  out.stoppedBecause = 'every step held (raise the steps to find the ceiling)';
  return out;
}

/** "rooms=20 msgs/s=12000 ..." for progress lines. */
export function describeCells(cells: Record<string, number | string>): string {
  return Object.entries(cells).map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v) : v}`).join(' ');
}

/** The steps as a markdown table (every step's cells, plus whether it held), for the log and the docs. */
export function stepTable(title: string, stepped: Stepped): string {
  if (stepped.steps.length === 0) return `${title}: no step measured`;
  const columns = Object.keys(stepped.steps[0].cells);
  const rows = stepped.steps.map((s) => [...columns.map((c) => {
    const v = s.cells[c];
    return typeof v === 'number' ? fmt(v) : String(v ?? '');
  }), s.held ? 'yes' : `no: ${s.why ?? ''}`]);
  const header = [...columns, 'held'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
  const tail = stepped.stoppedBecause ? `\n(${stepped.stoppedBecause})` : '';
  return `${title}\n\n${lines.join('\n')}${tail}`;
}

/** The summary cell of a step for the scenario's table: chosen cells, or what happened instead. */
export function summarise(step: Step | undefined, keys: string[], none: string): string {
  if (!step) return none;
  return keys.map((k) => {
    const v = step.cells[k];
    return `${typeof v === 'number' ? fmt(v) : v} ${k}`;
  }).join(', ');
}
