/**
 * Module init under `node --cpu-prof`: where the time of `require(bundle)` goes. Samples are
 * attributed by the function they hit: compiling the bundle (V8 compiles the whole file when it
 * is required), garbage collection, Node's own built-in modules loaded for the first time, and
 * the bundle's functions by the package their source comes from (through the bundle's source
 * map). Code at the top level of the bundle (the bodies of the modules esbuild hoisted) has no
 * function of its own and is reported as one line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageOf, ROOT } from './build';
import { SourceMap } from './sourcemap';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface InitProfile {
  runs: number;
  /** Mean sampled time of one require, ms. */
  totalMs: number;
  /** Mean ms per category, largest first. */
  parts: { name: string; ms: number }[];
  /** Node built-in modules the bundle loads that a bare node process has not loaded. */
  builtins: string[];
}

export function profileInit(bundle: string, map: string, env: Record<string, string>, runs: number): InitProfile {
  const dir = mkdtempSync(path.join(tmpdir(), 'genesys-flagger-bench-prof-'));
  try {
    const sourceMap = new SourceMap(JSON.parse(readFileSync(map, 'utf8')) as { sources: string[]; mappings: string });
    const withBundle = sampleCategories(`require(${JSON.stringify(bundle)})`, runs, env, path.join(dir, 'bundle'), { bundleUrl: pathToFileURL(bundle).href, sourceMap, mapDir: path.dirname(map) });
    // A bare `node -e 0` under the profiler: what every process spends anyway (start-up, the
    // built-ins Node itself loads), subtracted category by category.
    const bare = sampleCategories('0', runs, env, path.join(dir, 'bare'), undefined);
    const parts: { name: string; ms: number }[] = [];
    for (const [name, ms] of withBundle) {
      const extra = ms - (bare.get(name) ?? 0);
      if (extra > 0.05) parts.push({ name, ms: extra });
    }
    parts.sort((a, b) => b.ms - a.ms);
    return { runs, totalMs: parts.reduce((a, p) => a + p.ms, 0), parts, builtins: builtinsLoaded(bundle, env, dir) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface BundleInfo {
  bundleUrl: string;
  sourceMap: SourceMap;
  mapDir: string;
}

/** Mean sampled ms per category over `runs` profiled processes running `script`. */
function sampleCategories(script: string, runs: number, env: Record<string, string>, dir: string, bundle: BundleInfo | undefined): Map<string, number> {
  for (let i = 0; i < runs; i += 1) {
    const run = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', dir, '-e', script], { env, encoding: 'utf8', cwd: tmpdir() });
    if (run.status !== 0) throw new Error(`profiling failed: ${run.stderr}`);
  }
  const totals = new Map<string, number>();
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  for (const file of files) {
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, index) => {
      const node = byId.get(id);
      if (!node) return;
      const name = categorize(node, bundle);
      if (name === undefined) return;
      totals.set(name, (totals.get(name) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000 / files.length);
    });
  }
  return totals;
}

function categorize(node: ProfileNode, bundle: BundleInfo | undefined): string | undefined {
  const { functionName, url, lineNumber, columnNumber } = node.callFrame;
  if (functionName === '(idle)' || functionName === '(root)') return undefined;
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)') return 'V8 (program: compiling, runtime)';
  if (functionName === 'wrapSafe' || functionName === 'compileFunction') return 'compiling the bundle (wrapSafe)';
  if (bundle && (url === bundle.bundleUrl || pathToFileURL(url).href === bundle.bundleUrl)) {
    if (lineNumber === 0 && columnNumber === 0) return 'bundle top level (hoisted module bodies)';
    const source = bundle.sourceMap.sourceAt(lineNumber, columnNumber);
    // Line 0 before the first mapping: esbuild's own runtime (__commonJS/__esm module wrappers).
    // V8 charges a lazily compiled function's first compile to its caller, so module bodies'
    // compile time shows up here, in the wrappers that call them.
    if (!source) return lineNumber === 0 ? 'bundle: esbuild module wrappers (first run + compile of module bodies)' : 'bundle (unmapped)';
    return `bundle: ${packageOf(path.relative(ROOT, path.resolve(bundle.mapDir, source)))}`;
  }
  if (url.startsWith('node:internal/bootstrap') || functionName === 'compileForInternalLoader' || functionName === 'internalBinding') {
    return 'Node built-in modules (first load)';
  }
  if (url.startsWith('node:')) return `node: ${url.replace(/^node:(internal\/)?/, '').split('/')[0]}`;
  if (url === '') return `native: ${functionName || '(anonymous)'}`;
  return `other: ${path.basename(url)}`;
}

function builtinsLoaded(bundle: string, env: Record<string, string>, cwd: string): string[] {
  const script = `const before=new Set(process.moduleLoadList);require(${JSON.stringify(bundle)});process.stdout.write(JSON.stringify(process.moduleLoadList.filter((m)=>!before.has(m)&&m.startsWith('NativeModule ')).map((m)=>m.slice(13))))`;
  const run = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8', cwd });
  if (run.status !== 0) return [];
  const lastLine = run.stdout.trim().split('\n').pop() ?? '[]';
  try {
    return JSON.parse(lastLine) as string[];
  } catch {
    return [];
  }
}

export interface LoopProfile {
  /** Sampled ms per category (busy samples only), largest first. */
  parts: { name: string; ms: number }[];
  /** The busiest functions: name and the source file (package) they come from. */
  functions: { name: string; ms: number }[];
  busyMs: number;
}

/** Self time by category and by function of a profile the worker took around a loop of flags. */
export function summarizeProfile(file: string, bundle: string, map: string): LoopProfile {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const info: BundleInfo = {
    bundleUrl: pathToFileURL(bundle).href,
    sourceMap: new SourceMap(JSON.parse(readFileSync(map, 'utf8')) as { sources: string[]; mappings: string }),
    mapDir: path.dirname(map),
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parts = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, index) => {
    const node = byId.get(id);
    if (!node) return;
    const name = categorize(node, info);
    if (name === undefined) return;
    const ms = (profile.timeDeltas[index] ?? 0) / 1000;
    busy += ms;
    parts.set(name, (parts.get(name) ?? 0) + ms);
    const fn = `${node.callFrame.functionName || '(anonymous)'} · ${name.replace(/^bundle: /, '')}`;
    functions.set(fn, (functions.get(fn) ?? 0) + ms);
  });
  const sorted = (m: Map<string, number>) => [...m.entries()].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms);
  return { parts: sorted(parts), functions: sorted(functions), busyMs: busy };
}
