/**
 * Part 1, cold start. Each bundle is copied alone into an empty folder, as in a Lambda package,
 * and imported by fresh `node` processes, in random order with a bare process so that drift of
 * the machine hits all alike. Init overhead = median wall time minus the bare process's. Then a
 * first flag in a fresh process (what a caller waits for on a real cold start), a first flag after
 * an idle init (a container initialised ahead of traffic), a --cpu-prof of the import, the
 * metafile's bytes per package, the Node built-ins the import loads.
 *
 * The bundles are ES modules: every process loads one with import(), ours and the anchor alike.
 * Our module's top-level await reads the secret and gets a token (the init prefetch); the rows that
 * measure loading the code run it with FLAG_INIT_PREFETCH_MS=0, so that they time the code, not the
 * emulators, and stay comparable with runs from before the prefetch.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { flagEvent, log, ROOT, sleep, startContainer, type Bundle, type Bundles, type Lab, type Options } from '../lib/lab';
import { add, attribute, fmt, kib, median, packageOf, ratio, shuffle, sum, table, topKeys, type Section } from '../lib/stats';

type Side = Bundle & { dir: string; entry: string; zip: number; wall: number[]; importMs: number[]; firstMs: number[]; firstRequests: number[] };
/** One first flag after an idle init: its own latency and what it sent, by destination. */
type IdleFlag = { ms: number; genesys: number; patches: number; secretReads: number };

/** How long a container initialised ahead of traffic sits idle before its first event. */
const IDLE_MS = 300;
/** Fresh `node` processes evaluate their script as an ES module, the bare one included: the same loader for every row. */
const NODE_ESM = ['--input-type=module', '-e'];

export async function measureInit(bundles: Bundles, lab: Lab, o: Options, tmp: string): Promise<Section> {
  // A real container: our init prefetches (the default budget), as deployed.
  const env = lab.env();
  // Loading the code alone: no prefetch. The anchor ignores the variable; it is set for both alike.
  const loadEnv = lab.env({ FLAG_INIT_PREFETCH_MS: '0' });
  const root = path.join(tmp, 'lambda');
  const side = (name: string, b: Bundle): Side => {
    const dir = path.join(root, name);
    mkdirSync(dir, { recursive: true });
    // index.mjs: the extension keeps what the build gave it, which tells Node the module format.
    const entry = path.join(dir, `index${path.extname(b.file)}`);
    copyFileSync(b.file, entry);
    // A Lambda zip is the bundle deflated; raw deflate at the packager's level 9, without zip headers.
    return { ...b, dir, entry, zip: deflateRawSync(readFileSync(b.file), { level: 9 }).length, wall: [], importMs: [], firstMs: [], firstRequests: [] };
  };
  const [ours, anchor, other] = [side('ours', bundles.ours), side('anchor', bundles.anchor), side('other', bundles.anchorPlugins)];
  const node = (cwd: string, script: string): { wall: number; stdout: string } => {
    const t = process.hrtime.bigint();
    const run = spawnSync(process.execPath, [...NODE_ESM, script], { cwd, env: loadEnv, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`node -e failed in ${cwd}: ${run.stderr}`);
    return { wall: Number(process.hrtime.bigint() - t) / 1e6, stdout: run.stdout };
  };
  const importIt = (s: Side): string =>
    `const t=process.hrtime.bigint();await import(${JSON.stringify(pathToFileURL(s.entry).href)});process.stdout.write('\\nINIT '+Number(process.hrtime.bigint()-t)/1e6+'\\n')`;

  log(`  module init: ${o.initRuns} runs each of a bare node, ours, the anchor and the anchor + our plugins (interleaved)`);
  const bare: number[] = [];
  for (const s of [ours, anchor, other]) node(s.dir, importIt(s)); // into the file cache
  node(root, '0');
  for (const s of Array.from({ length: o.initRuns }, () => shuffle([undefined, ours, anchor, other])).flat()) {
    if (!s) bare.push(node(root, '0').wall);
    else {
      const { wall, stdout } = node(s.dir, importIt(s));
      s.wall.push(wall);
      s.importMs.push(Number(/INIT ([\d.]+)/.exec(stdout)?.[1] ?? Number.NaN));
    }
  }
  log(`  first flag in a fresh process: ${o.firstFlagRuns} runs each`);
  for (const s of Array.from({ length: o.firstFlagRuns }, () => shuffle([ours, anchor])).flat()) {
    // Counted from before the process starts: our init's secret read and token request belong to this first flag.
    const [before, container] = [lab.requestCount(), await startContainer(s.entry, env)];
    const t = performance.now();
    const { status } = await container.flag(flagEvent(lab.conversation()));
    s.firstMs.push(container.initMs + performance.now() - t);
    s.firstRequests.push(lab.requestCount() - before);
    await container.close();
    if (status !== 'UPDATED') throw new Error(`first flag in ${s.dir} ended ${status}`);
  }
  log(`  first flag after an idle init (${IDLE_MS} ms): ${o.firstFlagRuns} runs each of ours, the anchor, ours with FLAG_INIT_PREFETCH_MS=0`);
  const idle: Record<'ours' | 'anchor' | 'oursNoPrefetch', IdleFlag[]> = { ours: [], anchor: [], oursNoPrefetch: [] };
  const idleSides = { ours: [ours, env], anchor: [anchor, env], oursNoPrefetch: [ours, loadEnv] } as const;
  for (const key of Array.from({ length: o.firstFlagRuns }, () => shuffle(['ours', 'anchor', 'oursNoPrefetch'] as const)).flat()) {
    const [s, runEnv] = idleSides[key];
    const container = await startContainer(s.entry, runEnv);
    await sleep(IDLE_MS);
    const [genesysBefore, secretsBefore] = [lab.genesys.arrivals.length, lab.secrets.requests.length];
    const { status, wallMs } = await container.flag(flagEvent(lab.conversation()));
    const sent = lab.genesys.arrivals.slice(genesysBefore);
    idle[key].push({ ms: wallMs, genesys: sent.length, patches: sent.filter((r) => r.route === 'patch-attributes').length, secretReads: lab.secrets.requests.length - secretsBefore });
    await container.close();
    if (status !== 'UPDATED') throw new Error(`first flag after an idle init (${key}) ended ${status}`);
  }
  log(`  --cpu-prof of the init: ${o.profileRuns} profiled runs each`);
  const oursProfile = profileInit(ours, loadEnv, o.profileRuns, path.join(tmp, 'profile-ours'));
  const anchorProfile = profileInit(anchor, loadEnv, o.profileRuns, path.join(tmp, 'profile-anchor'));

  const bareMs = median(bare);
  const overhead = (s: Side): number => median(s.wall) - bareMs;
  const ms = (v: number): string => `${fmt(v, 1)} ms`;
  const med = (s: Side, key: 'wall' | 'importMs' | 'firstMs'): string => ms(median(s[key]));
  const idleMs = (runs: IdleFlag[]): number => median(runs.map((r) => r.ms));
  // The most any run sent: a single stray request shows.
  const idleSent = (runs: IdleFlag[]): string => `${Math.max(...runs.map((r) => r.genesys))} / ${Math.max(...runs.map((r) => r.secretReads))}`;
  const onlyThePatch = idle.ours.every((r) => r.genesys === 1 && r.patches === 1 && r.secretReads === 0);
  const total = (r: IdleFlag): number => r.genesys + r.secretReads;
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
        ['', `ours (${path.relative(ROOT, bundles.ours.file)})`, 'anchor (official SDK)', 'ours / anchor', 'anchor + our plugins', 'ours / it'],
        [
          ['bundle', kib(ours.bytes), kib(anchor.bytes), ratio(ours.bytes, anchor.bytes, 3), kib(other.bytes), ratio(ours.bytes, other.bytes, 3)],
          ['zip (deflate 9)', kib(ours.zip), kib(anchor.zip), ratio(ours.zip, anchor.zip), kib(other.zip), ratio(ours.zip, other.zip)],
          [`process wall, median of ${o.initRuns} (bare \`node --input-type=module -e 0\`: ${fmt(bareMs, 1)} ms; ours with FLAG_INIT_PREFETCH_MS=0)`, med(ours, 'wall'), med(anchor, 'wall'), '', med(other, 'wall'), ''],
          ['**init overhead** (wall minus bare; loading the code, no prefetch)', ms(overhead(ours)), ms(overhead(anchor)), ratio(overhead(ours), overhead(anchor)), ms(overhead(other)), ratio(overhead(ours), overhead(other))],
          ['import() inside the process, median (ours with FLAG_INIT_PREFETCH_MS=0)', med(ours, 'importMs'), med(anchor, 'importMs'), ratio(median(ours.importMs), median(anchor.importMs)), med(other, 'importMs'), ratio(median(ours.importMs), median(other.importMs))],
          [`first flag in a fresh process (import + secret + token + PATCH; ours fetches secret and token in its init), median of ${o.firstFlagRuns}`, med(ours, 'firstMs'), med(anchor, 'firstMs'), ratio(median(ours.firstMs), median(anchor.firstMs)), '', ''],
          ['requests sent by that first flag (ours: its init included)', fmt(median(ours.firstRequests)), fmt(median(anchor.firstRequests)), '', '', ''],
          [`**first flag after an idle init** (init, ${IDLE_MS} ms idle, then the flag alone: handler call to result), median of ${o.firstFlagRuns}`, ms(idleMs(idle.ours)), ms(idleMs(idle.anchor)), ratio(idleMs(idle.ours), idleMs(idle.anchor)), '', ''],
          ['requests sent by that flag, Genesys / Secrets Manager (most in any run)', idleSent(idle.ours), idleSent(idle.anchor), '', '', ''],
          ['the same flag, ours with FLAG_INIT_PREFETCH_MS=0 (its flag fetches secret and token); requests as above', `${ms(idleMs(idle.oursNoPrefetch))}; ${idleSent(idle.oursNoPrefetch)}`, ms(idleMs(idle.anchor)), ratio(idleMs(idle.oursNoPrefetch), idleMs(idle.anchor)), '', ''],
          ['Node built-in modules loaded by import()', oursProfile.builtins.length, anchorProfile.builtins.length, '', '', ''],
        ],
      ),
      '',
      'Targets are judged against the anchor column. "anchor + our plugins": the same anchor bundled with the project\'s esbuild plugins; if that is taken as "bundled the same way", compare the last column with the targets (≤ 0.2x, ≤ 0.5x). ' +
        'Zip: the bundle alone, raw deflate at level 9 (`zlib.deflateRawSync`), without the headers a zip adds (about 130 bytes). ' +
        'Every process loads its bundle (an ES module) with `import()`; the load rows, the profile and the built-ins run ours with FLAG_INIT_PREFETCH_MS=0 (no network during init), the first-flag rows with the default prefetch. ' +
        `"First flag after an idle init": a container initialised ahead of traffic (provisioned concurrency); ours read the secret and got a token during init, so its first caller waits for the PATCH alone, the anchor's for secret + token + PATCH. ` +
        "Login and API are one emulator here: after the short idle the PATCH may reuse the connection of the init's token request; in production they are different hosts, and a long idle outlives the connection.",
      '',
      `Where the init time goes (\`node --cpu-prof\`, ${o.profileRuns} runs, sampled ms per import minus a bare process, ours with FLAG_INIT_PREFETCH_MS=0; the profiler slows everything, compare shares):`,
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
      `Node built-ins our import() loads that a bare process does not: ${oursProfile.builtins.filter((m) => !m.startsWith('internal/')).join(', ') || 'none'}.`,
    ],
    targets: [
      target('anchor', anchor, true),
      target('anchor', anchor, false),
      target('anchor + our plugins', other, true),
      target('anchor + our plugins', other, false),
      {
        part: '1',
        name: 'first flag after an idle init: requests',
        target: 'exactly 1',
        measured:
          `${onlyThePatch ? `1 (the PATCH) in each of ${idle.ours.length} runs` : `up to ${Math.max(...idle.ours.map(total))}; only the PATCH in ${idle.ours.filter((r) => total(r) === 1 && r.patches === 1).length} of ${idle.ours.length} runs`}` +
          `; anchor ${fmt(median(idle.anchor.map(total)))}, ours with FLAG_INIT_PREFETCH_MS=0 ${fmt(median(idle.oursNoPrefetch.map(total)))} (medians)`,
        met: idle.ours.length > 0 && onlyThePatch,
      },
    ],
  };
}

/** Sampled ms per category of an import, minus a bare process (what every process spends anyway). */
function profileInit(b: Bundle, env: Record<string, string>, runs: number, dir: string): { parts: Map<string, number>; builtins: string[] } {
  mkdirSync(dir, { recursive: true });
  const url = JSON.stringify(pathToFileURL(b.file).href);
  const sample = (script: string, name: string, bundle?: Bundle): Map<string, number> => {
    const out = path.join(dir, name);
    for (let i = 0; i < runs; i += 1) {
      const run = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', out, ...NODE_ESM, script], { env, encoding: 'utf8', cwd: dir });
      if (run.status !== 0) throw new Error(`profiling failed: ${run.stderr}`);
    }
    return attribute(readdirSync(out).map((f) => path.join(out, f)), bundle).parts;
  };
  const imported = sample(`await import(${url})`, 'bundle', b);
  const bare = sample('0', 'bare');
  const parts = new Map([...imported].map(([k, ms]): [string, number] => [k, ms - (bare.get(k) ?? 0)]).filter(([, ms]) => ms > 0.05));
  const script = `const before=new Set(process.moduleLoadList);await import(${url});process.stdout.write('\\n'+JSON.stringify(process.moduleLoadList.filter((m)=>!before.has(m)&&m.startsWith('NativeModule ')).map((m)=>m.slice(13))))`;
  const run = spawnSync(process.execPath, [...NODE_ESM, script], { env, encoding: 'utf8', cwd: dir });
  if (run.status !== 0) throw new Error(`listing the built-ins failed: ${run.stderr}`);
  return { parts, builtins: JSON.parse(run.stdout.trim().split('\n').pop() || '[]') as string[] };
}
