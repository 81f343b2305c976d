/**
 * Part 1, cold start. Each bundle is copied alone into an empty folder, as in a Lambda package,
 * and required by fresh `node` processes, in random order with a bare `node -e 0` so that drift
 * of the machine hits all alike. Init overhead = median wall time minus the bare process's. Then
 * a first flag in a fresh process (what a caller waits for on a real cold start), a --cpu-prof of
 * the require, the metafile's bytes per package, the Node built-ins the require loads.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { flagEvent, log, startContainer, type Bundle, type Bundles, type Lab, type Options } from '../lib/lab';
import { add, attribute, fmt, kib, median, packageOf, ratio, shuffle, sum, table, topKeys, type Section } from '../lib/stats';

type Side = Bundle & { dir: string; zip: number; wall: number[]; requireMs: number[]; firstMs: number[]; firstRequests: number[] };

export async function measureInit(bundles: Bundles, lab: Lab, o: Options, tmp: string): Promise<Section> {
  const env = lab.env();
  const root = path.join(tmp, 'lambda');
  const side = (name: string, b: Bundle): Side => {
    const dir = path.join(root, name);
    mkdirSync(dir, { recursive: true });
    copyFileSync(b.file, path.join(dir, 'index.js'));
    // A Lambda zip is the bundle deflated; raw deflate at the packager's level 9, without zip headers.
    return { ...b, dir, zip: deflateRawSync(readFileSync(b.file), { level: 9 }).length, wall: [], requireMs: [], firstMs: [], firstRequests: [] };
  };
  const [ours, anchor, other] = [side('ours', bundles.ours), side('anchor', bundles.anchor), side('other', bundles.anchorPlugins)];
  const node = (cwd: string, script: string): { wall: number; stdout: string } => {
    const t = process.hrtime.bigint();
    const run = spawnSync(process.execPath, ['-e', script], { cwd, env, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`node -e failed in ${cwd}: ${run.stderr}`);
    return { wall: Number(process.hrtime.bigint() - t) / 1e6, stdout: run.stdout };
  };
  const requireIt = "const t=process.hrtime.bigint();require('./index.js');process.stdout.write('\\nINIT '+Number(process.hrtime.bigint()-t)/1e6+'\\n')";

  log(`  module init: ${o.initRuns} runs each of node -e 0, ours, the anchor and the anchor + our plugins (interleaved)`);
  const bare: number[] = [];
  for (const s of [ours, anchor, other]) node(s.dir, requireIt); // into the file cache
  node(root, '0');
  for (const s of Array.from({ length: o.initRuns }, () => shuffle([undefined, ours, anchor, other])).flat()) {
    if (!s) bare.push(node(root, '0').wall);
    else {
      const { wall, stdout } = node(s.dir, requireIt);
      s.wall.push(wall);
      s.requireMs.push(Number(/INIT ([\d.]+)/.exec(stdout)?.[1] ?? Number.NaN));
    }
  }
  log(`  first flag in a fresh process: ${o.firstFlagRuns} runs each`);
  for (const s of Array.from({ length: o.firstFlagRuns }, () => shuffle([ours, anchor])).flat()) {
    const [before, container] = [lab.requestCount(), await startContainer(path.join(s.dir, 'index.js'), env)];
    const t = performance.now();
    const { status } = await container.flag(flagEvent(lab.conversation()));
    s.firstMs.push(container.initMs + performance.now() - t);
    s.firstRequests.push(lab.requestCount() - before);
    await container.close();
    if (status !== 'UPDATED') throw new Error(`first flag in ${s.dir} ended ${status}`);
  }
  log(`  --cpu-prof of the init: ${o.profileRuns} profiled runs each`);
  const oursProfile = profileInit(ours, env, o.profileRuns, path.join(tmp, 'profile-ours'));
  const anchorProfile = profileInit(anchor, env, o.profileRuns, path.join(tmp, 'profile-anchor'));

  const bareMs = median(bare);
  const overhead = (s: Side): number => median(s.wall) - bareMs;
  const ms = (v: number): string => `${fmt(v, 1)} ms`;
  const med = (s: Side, key: 'wall' | 'requireMs' | 'firstMs'): string => ms(median(s[key]));
  const byPackage = (s: Side): Map<string, number> => Object.entries(s.inputs).reduce((m, [file, { bytesInOutput }]) => add(m, packageOf(file), bytesInOutput), new Map<string, number>());
  const [oursBytes, anchorBytes] = [byPackage(ours), byPackage(anchor)];
  const profileMs = (p: Map<string, number>, k: string): string => fmt(p.get(k) ?? 0, 1);
  const target = (name: string, vs: Side, init: boolean): Section['targets'][number] => {
    const r = init ? overhead(ours) / overhead(vs) : ours.bytes / vs.bytes;
    const measured = init ? `${r.toFixed(2)}x (${fmt(overhead(ours), 1)} vs ${fmt(overhead(vs), 1)} ms)` : `${r.toFixed(3)}x (${kib(ours.bytes)} vs ${kib(vs.bytes)})`;
    return { part: '1', name: `${init ? 'init overhead' : 'bundle size'} vs ${name}`, target: init ? '≤ 0.5x' : '≤ 0.2x', measured, met: r <= (init ? 0.5 : 0.2) };
  };
  return {
    title: '1. Cold start',
    lines: [
      ...table(
        ['', 'ours (dist/functions/data-action.js)', 'anchor (official SDK)', 'ours / anchor', 'anchor + our plugins', 'ours / it'],
        [
          ['bundle', kib(ours.bytes), kib(anchor.bytes), ratio(ours.bytes, anchor.bytes, 3), kib(other.bytes), ratio(ours.bytes, other.bytes, 3)],
          ['zip (deflate 9)', kib(ours.zip), kib(anchor.zip), ratio(ours.zip, anchor.zip), kib(other.zip), ratio(ours.zip, other.zip)],
          [`process wall, median of ${o.initRuns} (bare \`node -e 0\`: ${fmt(bareMs, 1)} ms)`, med(ours, 'wall'), med(anchor, 'wall'), '', med(other, 'wall'), ''],
          ['**init overhead** (wall minus bare)', ms(overhead(ours)), ms(overhead(anchor)), ratio(overhead(ours), overhead(anchor)), ms(overhead(other)), ratio(overhead(ours), overhead(other))],
          ['require() inside the process, median', med(ours, 'requireMs'), med(anchor, 'requireMs'), ratio(median(ours.requireMs), median(anchor.requireMs)), med(other, 'requireMs'), ratio(median(ours.requireMs), median(other.requireMs))],
          [`first flag in a fresh process (require + secret + token + PATCH), median of ${o.firstFlagRuns}`, med(ours, 'firstMs'), med(anchor, 'firstMs'), ratio(median(ours.firstMs), median(anchor.firstMs)), '', ''],
          ['requests sent by that first flag', fmt(median(ours.firstRequests)), fmt(median(anchor.firstRequests)), '', '', ''],
          ['Node built-in modules loaded by require()', oursProfile.builtins.length, anchorProfile.builtins.length, '', '', ''],
        ],
      ),
      '',
      'Targets are judged against the anchor column. "anchor + our plugins": the same anchor bundled with the project\'s esbuild plugins; if that is taken as "bundled the same way", compare the last column with the targets (≤ 0.2x, ≤ 0.5x). ' +
        'Zip: the bundle alone, raw deflate at level 9 (`zlib.deflateRawSync`), without the headers a zip adds (about 130 bytes).',
      '',
      `Where the init time goes (\`node --cpu-prof\`, ${o.profileRuns} runs, sampled ms per require minus a bare process; the profiler slows everything, compare shares):`,
      '',
      ...table(['', 'ours', 'anchor'], [
        ...topKeys(oursProfile.parts, anchorProfile.parts, 8).map((k) => [k, profileMs(oursProfile.parts, k), profileMs(anchorProfile.parts, k)]),
        ['**sampled total**', fmt(sum([...oursProfile.parts.values()]), 1), fmt(sum([...anchorProfile.parts.values()]), 1)],
      ]),
      '',
      'Largest contributors to bundle size (esbuild metafile, bytes in the output):',
      '',
      ...table(['', 'ours', 'anchor'], topKeys(oursBytes, anchorBytes, 8).map((k) => [k, ...[oursBytes, anchorBytes].map((m) => (m.get(k) ? kib(m.get(k) as number) : '–'))])),
      '',
      `Node built-ins our require() loads that a bare process does not: ${oursProfile.builtins.filter((m) => !m.startsWith('internal/')).join(', ') || 'none'}.`,
    ],
    targets: [target('anchor', anchor, true), target('anchor', anchor, false), target('anchor + our plugins', other, true), target('anchor + our plugins', other, false)],
  };
}

/** Sampled ms per category of a require, minus a bare `node -e 0` (what every process spends anyway). */
function profileInit(b: Bundle, env: Record<string, string>, runs: number, dir: string): { parts: Map<string, number>; builtins: string[] } {
  mkdirSync(dir, { recursive: true });
  const sample = (script: string, name: string, bundle?: Bundle): Map<string, number> => {
    const out = path.join(dir, name);
    for (let i = 0; i < runs; i += 1) {
      const run = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', out, '-e', script], { env, encoding: 'utf8', cwd: dir });
      if (run.status !== 0) throw new Error(`profiling failed: ${run.stderr}`);
    }
    return attribute(readdirSync(out).map((f) => path.join(out, f)), bundle).parts;
  };
  const required = sample(`require(${JSON.stringify(b.file)})`, 'bundle', b);
  const bare = sample('0', 'bare');
  const parts = new Map([...required].map(([k, ms]): [string, number] => [k, ms - (bare.get(k) ?? 0)]).filter(([, ms]) => ms > 0.05));
  const script = `const before=new Set(process.moduleLoadList);require(${JSON.stringify(b.file)});process.stdout.write('\\n'+JSON.stringify(process.moduleLoadList.filter((m)=>!before.has(m)&&m.startsWith('NativeModule ')).map((m)=>m.slice(13))))`;
  const run = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8', cwd: dir });
  return { parts, builtins: JSON.parse(run.stdout.trim().split('\n').pop() || '[]') as string[] };
}
