/** Numbers, markdown tables, and CPU profile samples attributed to packages. */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, type Bundle } from './lab';

/** What a part hands back: its section of results.md and the targets it judged. */
export type Section = { title: string; lines: string[]; targets: { part: string; name: string; target: string; measured: string; met: boolean }[] };

/** Nearest rank, no interpolation. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? (sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] as number) : Number.NaN;
}
export const median = (values: readonly number[]): number => percentile(values, 50);
export const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
export const mean = (values: readonly number[]): number => (values.length ? sum(values) / values.length : Number.NaN);
/** "never" for a run that never flagged (infinite lag), "–" for no value. */
export const fmt = (value: number, digits = 0): string => (Number.isNaN(value) ? '–' : value === Infinity ? 'never' : value.toFixed(digits));
export const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;
export const ratio = (a: number, b: number, digits = 2): string => (b === 0 || !Number.isFinite(a / b) ? '–' : `${(a / b).toFixed(digits)}x`);

export const shuffle = <T>(items: T[]): T[] => items.map((item) => ({ item, key: Math.random() })).sort((a, b) => a.key - b.key).map(({ item }) => item);

const row = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;
export const table = (header: string[], rows: (string | number)[][]): string[] => [row(header), `|${header.map((_, i) => (i ? '---:' : '---')).join('|')}|`, ...rows.map(row)];

/** The names of the `n` largest of each map, largest combined first. */
export function topKeys(a: Map<string, number>, b: Map<string, number>, n: number): string[] {
  const top = (m: Map<string, number>): string[] => [...m.entries()].sort((x, y) => y[1] - x[1]).slice(0, n).map(([k]) => k);
  const total = (k: string): number => (a.get(k) ?? 0) + (b.get(k) ?? 0);
  return [...new Set([...top(a), ...top(b)])].sort((x, y) => total(y) - total(x));
}

/** node_modules/@aws-sdk/core/dist-es/x.js -> @aws-sdk/core; lib/genesys/api-client.ts -> lib/ */
export function packageOf(input: string): string {
  const file = input.replace(/\\/g, '/');
  const pkg = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1];
  const parts = file.replace(/^(\.\.\/)+/, '').split('/');
  return pkg ?? (parts.length > 1 ? `${parts[0]}/` : file);
}

export const add = (m: Map<string, number>, key: string, value: number): Map<string, number> => m.set(key, (m.get(key) ?? 0) + value);

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number };

/**
 * Sampled ms by category and by function, averaged over V8 CPU profiles (`--cpu-prof` or the
 * inspector). A sample in `bundle` is charged to the package its source comes from, through the
 * bundle's source map.
 */
export function attribute(files: string[], bundle?: Bundle): { parts: Map<string, number>; functions: Map<string, number> } {
  const map = bundle && new SourceMap(JSON.parse(readFileSync(bundle.map, 'utf8')));
  const urls = bundle ? [bundle.file, pathToFileURL(bundle.file).href] : [];
  const category = ({ functionName: fn, url, lineNumber: line, columnNumber: column }: CallFrame): string | undefined => {
    if (fn === '(idle)' || fn === '(root)') return undefined;
    if (fn === '(garbage collector)') return 'garbage collection';
    if (fn === '(program)') return 'V8 (program: compiling, runtime)';
    // V8 compiles the whole bundle when it is loaded: wrapSafe for CommonJS; for an ES module,
    // compileSourceTextModule (the ModuleWrap constructor on older Node 20).
    if (fn === 'wrapSafe' || fn === 'compileFunction' || fn === 'compileSourceTextModule' || fn === 'ModuleWrap') return 'compiling the bundle (wrapSafe / compileSourceTextModule)';
    if (map && bundle && urls.includes(url)) {
      if (line === 0 && column === 0) return 'bundle top level (hoisted module bodies)';
      const entry = map.findEntry(line, column) as { generatedLine?: number; originalSource?: string };
      const source = entry.originalSource;
      // Before the first mapping (no entry at all) is esbuild's runtime (__commonJS/__esm): on the
      // first line of a CommonJS bundle, on the line after the banner of an ES module. V8 charges a
      // lazily compiled function's first compile to its caller, so module bodies' compiles land here.
      if (!source) return entry.generatedLine === undefined ? 'bundle: esbuild module wrappers (first run + compile of module bodies)' : 'bundle (unmapped)';
      return `bundle: ${packageOf(path.relative(ROOT, path.resolve(path.dirname(bundle.map), source)))}`;
    }
    if (url.startsWith('node:internal/bootstrap') || fn === 'compileForInternalLoader' || fn === 'internalBinding') return 'Node built-in modules (first load)';
    if (url.startsWith('node:')) return `node: ${url.replace(/^node:(internal\/)?/, '').split('/')[0]}`;
    return url ? `other: ${path.basename(url)}` : `native: ${fn || '(anonymous)'}`;
  };
  const parts = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: { id: number; callFrame: CallFrame }[]; samples: number[]; timeDeltas: number[] };
    const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
    profile.samples.forEach((id, i) => {
      const frame = frames.get(id);
      const name = frame && category(frame);
      if (!frame || !name) return;
      const ms = (profile.timeDeltas[i] ?? 0) / 1000 / files.length;
      add(parts, name, ms);
      add(functions, `${frame.functionName || '(anonymous)'} · ${name.replace(/^bundle: /, '')}`, ms);
    });
  }
  return { parts, functions };
}
