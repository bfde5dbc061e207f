/**
 * Where an open's CPU time goes: a Chromium CPU profile (page-load.ts) summarised by self time, grouped by package.
 *
 * The profiled pages are unminified builds (builds.ts), in which the bundler writes `// <module path>` on a line of
 * its own before each module's code. A sample's function is traced to its module through its line number, and the
 * module path to a group (yjs, Scrawl's binding, tldraw's store, React, ...). Native functions without a script
 * (DOM calls such as getBoundingClientRect, built-ins such as JSON.parse) count towards the group of the nearest
 * JavaScript caller, except DOM reads that force style and layout, which form a group of their own. V8's own
 * entries keep their names: "(program)" is the renderer's native work outside JavaScript (style, layout, paint
 * setup, parsing HTML), "(garbage collector)", and "(idle)" (waiting: on the network, on the next frame).
 */
import type { CpuProfile } from './page-load.ts';

/** Self time of one group or function, in ms. */
export interface ProfileShare {
  name: string;
  ms: number;
}

/** A profile's summary. */
export interface ProfileSummary {
  /** Sampled time, ms (navigation start -> painted). */
  totalMs: number;
  /** Self time by group, largest first. */
  groups: ProfileShare[];
  /** The functions with the most self time, "name (group)", largest first, each with its main callers. */
  functions: Array<ProfileShare & { callers: ProfileShare[] }>;
}

/** Module path prefixes -> group, first match wins. Paths are as the bundler writes them (relative to the build root). */
const GROUPS: Array<[RegExp, string]> = [
  [/node_modules\/(yjs|lib0|y-protocols|y-indexeddb)\//, 'Yjs (decode, apply, encoding)'],
  [/node_modules\/@hocuspocus\//, 'Hocuspocus provider'],
  [/(^|\/)src\/board\/(binding|recordCodec|docLayout|labelText|richTextFragment|schemaVersion)\.ts$/, "Scrawl's binding (web/src/board)"],
  [/(^|\/)src\//, "Scrawl's app (web/src, rest)"],
  [/(^|tldraw-page\/)main\.tsx$/, 'tldraw sync page (bench/tldraw-page)'],
  [/node_modules\/@tldraw\/(store|state|state-react)\//, "tldraw's store and signals"],
  [/node_modules\/@tldraw\/(tlschema|validate)\//, "tldraw's schema and validation"],
  [/node_modules\/@tldraw\/(sync|sync-core)\//, "tldraw's sync client"],
  [/node_modules\/@tldraw\/editor\//, "tldraw's editor"],
  [/node_modules\/@tldraw\/utils\//, "tldraw's utils"],
  [/node_modules\/tldraw\//, "tldraw's shapes and UI"],
  [/node_modules\/(@tiptap|prosemirror-[a-z-]+|@tiptap\/pm)\//, 'TipTap / ProseMirror'],
  [/node_modules\/(react|react-dom|scheduler|@radix-ui|use-sync-external-store)\//, 'React (and Radix UI)'],
  [/node_modules\//, 'other packages'],
];
/** DOM reads that make the browser compute style and layout on the spot. */
const LAYOUT_READS = /^(getBoundingClientRect|getClientRects|getComputedStyle|offset(Width|Height|Top|Left)|client(Width|Height)|scroll(Width|Height)|measureText|getBBox)$/;
const LAYOUT_GROUP = 'style and layout forced by DOM reads';

/** The module starts of one bundle: line numbers (0-based) and module paths, in order. */
type ModuleIndex = Array<{ line: number; path: string }>;

/** Indexes a bundle's `// <module path>` lines. */
export function indexModules(source: string): ModuleIndex {
  const index: ModuleIndex = [];
  const lines = source.split('\n');
  for (let line = 0; line < lines.length; line++) {
    const match = /^\/\/ (\S+\.(?:[cm]?[jt]sx?|json)(?:\?\S*)?)$/.exec(lines[line]!);
    if (match) index.push({ line, path: match[1]! });
  }
  return index;
}

function moduleAt(index: ModuleIndex, line: number): string | undefined {
  let lo = 0;
  let hi = index.length - 1;
  let found: string | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (index[mid]!.line <= line) {
      found = index[mid]!.path;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

function groupOf(path: string): string {
  for (const [pattern, group] of GROUPS) if (pattern.test(path)) return group;
  return 'other';
}

/**
 * Summarises `profile`. `sources` maps each script URL seen in the profile to its text (the caller fetches them from
 * the server that served the page); URLs without a source count as "other".
 */
export function summariseProfile(profile: CpuProfile, sources: Map<string, string>, top = 12): ProfileSummary {
  const indexes = new Map<string, ModuleIndex>();
  for (const [url, source] of sources) indexes.set(url, indexModules(source));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const groupCache = new Map<number, string>();
  const nodeGroup = (id: number): string => {
    const cached = groupCache.get(id);
    if (cached !== undefined) return cached;
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    let group: string;
    if (url === '') {
      if (/^\(.*\)$/.test(functionName)) group = functionName;
      else if (LAYOUT_READS.test(functionName)) group = LAYOUT_GROUP;
      else group = parent.has(id) ? nodeGroup(parent.get(id)!) : 'other';
    } else {
      const index = indexes.get(url);
      const path = index ? moduleAt(index, lineNumber) : undefined;
      group = path ? groupOf(path) : 'other';
    }
    groupCache.set(id, group);
    return group;
  };

  const selfMs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  const nameOf = (id: number) => {
    const { functionName } = byId.get(id)!.callFrame;
    return /^\(.*\)$/.test(functionName) ? functionName : `${functionName || '(anonymous)'} (${nodeGroup(id)})`;
  };
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  // A function's self time split by who called it: a DOM read's layout shows up in its caller's self time, so the
  // caller is what tells which code asked for it.
  const callers = new Map<string, Map<string, number>>();
  for (const [id, ms] of selfMs) {
    const group = nodeGroup(id);
    groups.set(group, (groups.get(group) ?? 0) + ms);
    const name = nameOf(id);
    functions.set(name, (functions.get(name) ?? 0) + ms);
    const caller = parent.has(id) ? nameOf(parent.get(id)!) : '(none)';
    if (!callers.has(name)) callers.set(name, new Map());
    callers.get(name)!.set(caller, (callers.get(name)!.get(caller) ?? 0) + ms);
  }
  const sorted = (map: Map<string, number>) => [...map].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms);
  return {
    totalMs: (profile.endTime - profile.startTime) / 1000,
    groups: sorted(groups),
    functions: sorted(functions).slice(0, top).map((f) => ({ ...f, callers: sorted(callers.get(f.name)!).slice(0, 3) })),
  };
}

/** The script URLs a profile's samples ran in (to fetch their sources). */
export function profileScripts(profile: CpuProfile): string[] {
  return [...new Set(profile.nodes.map((node) => node.callFrame.url).filter((url) => /^https?:/.test(url)))];
}
