/** Numbers, markdown, and CPU profile samples attributed to packages. */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, type Bundle } from './lab';

/** Name, goal, what was measured, met. results.md gives it the number its section's title starts with. */
export type Target = [name: string, goal: string, measured: string, met: boolean];
/** What a part hands back: its section of results.md and the targets it judged. */
export type Section = { title: string; lines: string[]; targets: Target[] };

/** Nearest rank, no interpolation. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted.length ? (sorted[rank - 1] as number) : Number.NaN;
}
export const median = (values: readonly number[]): number => percentile(values, 50);
export const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
export const mean = (values: readonly number[]): number => (values.length ? sum(values) / values.length : Number.NaN);

/** "never" for a run that never flagged (infinite lag), "–" for no value. */
export const fmt = (value: number, digits = 0): string =>
  Number.isNaN(value) ? '–' : value === Infinity ? 'never' : value.toFixed(digits);
export const ms = (value: number, digits = 1): string => `${fmt(value, digits)} ms`;
export const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;
export const ratio = (a: number, b: number, digits = 2): string =>
  b === 0 || !Number.isFinite(a / b) ? '–' : `${(a / b).toFixed(digits)}x`;
/** A paragraph written over several source lines, as one line. */
export const prose = (text: string): string => text.trim().replace(/\s*\n\s*/g, ' ');

export const shuffle = <T>(items: readonly T[]): T[] =>
  items.map((item) => ({ item, key: Math.random() })).sort((a, b) => a.key - b.key).map(({ item }) => item);
/** `rounds` rounds of `items`, each in random order, so that drift of the machine hits all alike. */
export const interleave = <T>(rounds: number, items: readonly T[]): T[] =>
  Array.from({ length: rounds }, () => shuffle(items)).flat();

const row = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;
export const table = (header: string[], rows: (string | number)[][]): string[] =>
  [row(header), `|${header.map((_, i) => (i ? '---:' : '---')).join('|')}|`, ...rows.map(row)];

type Sums = Map<string, number>;
export const add = (m: Sums, key: string, value: number): Sums => m.set(key, (m.get(key) ?? 0) + value);

/** Ours and the anchor for the `n` largest keys of each, largest combined first; `total` names a row of sums. */
export function topTable(ours: Sums, anchor: Sums, n: number, cell: (v?: number) => string, total = ''): string[] {
  const top = (m: Sums): string[] => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k]) => k);
  const both = (k: string): number => (ours.get(k) ?? 0) + (anchor.get(k) ?? 0);
  const keys = [...new Set([...top(ours), ...top(anchor)])].sort((a, b) => both(b) - both(a));
  const rows = keys.map((k) => [k, cell(ours.get(k)), cell(anchor.get(k))]);
  if (total) rows.push([total, cell(sum([...ours.values()])), cell(sum([...anchor.values()]))]);
  return table(['', 'ours', 'anchor'], rows);
}

/** node_modules/@aws-sdk/core/dist-es/x.js -> @aws-sdk/core; lib/genesys/api-client.ts -> lib/ */
export function packageOf(input: string): string {
  const file = input.replace(/\\/g, '/');
  const parts = file.replace(/^(\.\.\/)+/, '').split('/');
  return /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? (parts.length > 1 ? `${parts[0]}/` : file);
}

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number };
type Profile = { nodes: { id: number; callFrame: CallFrame }[]; samples: number[]; timeDeltas: number[] };

/**
 * Sampled ms by category and by function, averaged over V8 CPU profiles. A sample in `bundle` is
 * charged to the package its source comes from, through the bundle's source map.
 */
export function attribute(files: string[], bundle?: Bundle): { parts: Sums; functions: Sums } {
  const map = bundle && new SourceMap(JSON.parse(readFileSync(bundle.map, 'utf8')));
  const urls = bundle ? [bundle.file, pathToFileURL(bundle.file).href] : [];
  const category = ({ functionName: fn, url, lineNumber, columnNumber }: CallFrame): string | undefined => {
    if (fn === '(idle)' || fn === '(root)') return undefined;
    if (fn === '(garbage collector)') return 'garbage collection';
    if (fn === '(program)') return 'V8 (program: compiling, runtime)';
    // V8 compiles a whole bundle as it loads it: wrapSafe (CommonJS), compileSourceTextModule (ESM; ModuleWrap before).
    const compile = ['wrapSafe', 'compileFunction', 'compileSourceTextModule', 'ModuleWrap'].includes(fn);
    if (compile) return 'compiling the bundle (wrapSafe / compileSourceTextModule)';
    if (map && bundle && urls.includes(url)) {
      if (lineNumber === 0 && columnNumber === 0) return 'bundle top level (hoisted module bodies)';
      const entry = map.findEntry(lineNumber, columnNumber) as { generatedLine?: number; originalSource?: string };
      const source = entry.originalSource;
      if (source) return `bundle: ${packageOf(path.relative(ROOT, path.resolve(path.dirname(bundle.map), source)))}`;
      // Before the first mapping is esbuild's runtime (__commonJS/__esm); V8 charges a lazily
      // compiled function's first compile to its caller, so module bodies' compiles land there too.
      const wrappers = 'bundle: esbuild module wrappers (first run + compile of module bodies)';
      return entry.generatedLine === undefined ? wrappers : 'bundle (unmapped)';
    }
    const loader = fn === 'compileForInternalLoader' || fn === 'internalBinding';
    if (loader || url.startsWith('node:internal/bootstrap')) return 'Node built-in modules (first load)';
    if (url.startsWith('node:')) return `node: ${url.replace(/^node:(internal\/)?/, '').split('/')[0]}`;
    return url ? `other: ${path.basename(url)}` : `native: ${fn || '(anonymous)'}`;
  };
  const [parts, functions]: [Sums, Sums] = [new Map(), new Map()];
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
    const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
    profile.samples.forEach((id, i) => {
      const frame = frames.get(id);
      const name = frame && category(frame);
      if (!frame || !name) return;
      const sampled = (profile.timeDeltas[i] ?? 0) / 1000 / files.length;
      add(parts, name, sampled);
      add(functions, `${frame.functionName || '(anonymous)'} · ${name.replace(/^bundle: /, '')}`, sampled);
    });
  }
  return { parts, functions };
}
