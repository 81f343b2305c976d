/** Numbers, markdown, and CPU profile samples attributed to packages. */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, type Bundle } from './lab';

/** A target (results.md gives it its section's number) and a part's section of results.md. */
export type Target = [name: string, goal: string, measured: string, met: boolean];
export type Section = { title: string; lines: string[]; targets: Target[]; svg?: (subtitle: string[]) => string };

/** Nearest rank, no interpolation. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? (sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] as number) : NaN;
}
export const median = (values: number[]) => percentile(values, 50);
export const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
export const mean = (values: number[]) => (values.length ? sum(values) / values.length : NaN);

/** "never" for a run that never flagged (infinite lag), "–" for no value. */
export const fmt = (value: number, digits = 0) =>
  Number.isNaN(value) ? '–' : value === Infinity ? 'never' : value.toFixed(digits);
export const ms = (value: number, digits = 1) => `${fmt(value, digits)} ms`;
export const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
export const ratio = (a: number, b: number, digits = 2) =>
  !Number.isFinite(a / b) ? '–' : `${(a / b).toFixed(digits)}x`;
/** Paragraphs written over several source lines, each as one line after a blank one. */
export const prose = (...texts: string[]) => texts.flatMap((t) => ['', t.trim().replace(/\s*\n\s*/g, ' ')]);

/** `rounds` rounds of `items`, each in random order, so that drift of the machine hits all alike. */
export const interleave = <T>(rounds: number, items: readonly T[]) =>
  Array.from({ length: rounds }, () => items.map((item) => ({ item, key: Math.random() }))).flatMap((round) =>
    round.sort((a, b) => a.key - b.key).map(({ item }) => item),
  );

const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
export const table = (header: string[], rows: (string | number)[][]) => [
  row(header),
  `|${header.map((_, i) => (i ? '---:' : '---')).join('|')}|`,
  ...rows.map(row),
];

type Sums = Map<string, number>;
export const add = (m: Sums, key: string, value: number) => m.set(key, (m.get(key) ?? 0) + value);

/** Ours and the anchor, the `n` largest keys of each, largest first; `total` names a row of sums. */
export function topTable(ours: Sums, anchor: Sums, n: number, cell: (v?: number) => string, total = ''): string[] {
  const top = (m: Sums) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k]) => k);
  const both = (k: string) => (ours.get(k) ?? 0) + (anchor.get(k) ?? 0);
  const keys = [...new Set([...top(ours), ...top(anchor)])].sort((a, b) => both(b) - both(a));
  const rows = keys.map((k) => [k, cell(ours.get(k)), cell(anchor.get(k))]);
  if (total) rows.push([total, cell(sum([...ours.values()])), cell(sum([...anchor.values()]))]);
  return ['', ...table(['', 'ours', 'anchor'], rows)];
}

/** node_modules/@aws-sdk/core/dist-es/x.js -> @aws-sdk/core; lib/genesys/api-client.ts -> lib/ */
export function packageOf(input: string): string {
  const file = input.replace(/\\/g, '/');
  const parts = file.replace(/^(\.\.\/)+/, '').split('/');
  return /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? (parts.length > 1 ? `${parts[0]}/` : file);
}

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number };
type Profile = { nodes: { id: number; callFrame: CallFrame }[]; samples: number[]; timeDeltas: number[] };
const COMPILE = ['wrapSafe', 'compileFunction', 'compileSourceTextModule', 'ModuleWrap'];

/** Sampled ms by category and function over V8 CPU profiles; `bundle`'s by package, through its source map. */
export function attribute(files: string[], bundle?: Bundle): { parts: Sums; functions: Sums } {
  const map = bundle && new SourceMap(JSON.parse(readFileSync(bundle.map, 'utf8')));
  const href = bundle && pathToFileURL(bundle.file).href; // the bundles are ES modules
  const category = ({ functionName: fn, url, lineNumber, columnNumber }: CallFrame): string | undefined => {
    if (fn === '(idle)' || fn === '(root)') return undefined;
    if (fn === '(garbage collector)') return 'garbage collection';
    if (fn === '(program)') return 'V8 (program: compiling, runtime)';
    // V8 compiles a bundle as it loads it: wrapSafe (CommonJS), compileSourceTextModule or ModuleWrap (ESM).
    if (COMPILE.includes(fn)) return 'compiling the bundle (wrapSafe / compileSourceTextModule)';
    if (map && bundle && url === href) {
      if (lineNumber === 0 && columnNumber === 0) return 'bundle top level (hoisted module bodies)';
      const entry = map.findEntry(lineNumber, columnNumber) as { generatedLine?: number; originalSource?: string };
      const source = entry.originalSource;
      if (source) return `bundle: ${packageOf(path.relative(ROOT, path.resolve(path.dirname(bundle.map), source)))}`;
      // Before the first mapping: esbuild's runtime (__commonJS/__esm), to which V8 charges module bodies' compiles.
      if (entry.generatedLine !== undefined) return 'bundle (unmapped)';
      return 'bundle: esbuild module wrappers (first run + compile of module bodies)';
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
