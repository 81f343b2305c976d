/** Part 1, cold start: sizes; fresh processes importing each bundle; first flags in fresh containers; profiles. */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { firstFlag, ROOT, type Bundle, type Bundles, type Env, type Lab, type Options } from '../lib/lab';
import { add, attribute, fmt, interleave, kib, median, ms, packageOf, prose, ratio } from '../lib/stats';
import { table, topTable, type Section, type Target } from '../lib/stats';

/** How long a container initialised ahead of traffic (provisioned concurrency) idles before its first event. */
const IDLE_MS = 300;
const NO_PREFETCH = 'ours with FLAG_INIT_PREFETCH_MS=0';

/** A bundle alone in an empty folder (index.mjs: the build's extension tells Node the module format). */
export type Load = ReturnType<typeof lambdaFolder>;
export function lambdaFolder(root: string, n: number, b: Bundle, env: Env) {
  const [dir, wall, importMs] = [path.join(root, `${n}`), [] as number[], [] as number[]];
  const entry = path.join(dir, `index${path.extname(b.file)}`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(b.file, entry);
  return { b, dir, entry, env, wall, importMs };
}

/** Every fresh process, the bare one included, evaluates its script as an ES module: the same loader. */
const ESM = ['--input-type=module', '-e'];
function node(cwd: string, env: Env, script: string, args: string[] = []): { wall: number; stdout: string } {
  const t = performance.now();
  const run = spawnSync(process.execPath, [...args, ...ESM, script], { cwd, env, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} -e failed in ${cwd}: ${run.stderr}`);
  return { wall: performance.now() - t, stdout: run.stdout };
}

/** One unmeasured run of each (into the file cache), then `runs` shuffled rounds of each and a bare process. */
export function timeLoads(loads: Load[], root: string, bareEnv: Env, runs: number): number {
  const script = (l: Load) =>
    `const t=process.hrtime.bigint();await import(${JSON.stringify(pathToFileURL(l.entry).href)});` +
    `process.stdout.write('\\nINIT '+Number(process.hrtime.bigint()-t)/1e6+'\\n')`;
  const bare: number[] = [];
  for (const l of loads) node(l.dir, l.env, script(l));
  node(root, bareEnv, '0');
  for (const l of interleave(runs, [undefined, ...loads])) {
    if (!l) bare.push(node(root, bareEnv, '0').wall);
    else {
      const { wall, stdout } = node(l.dir, l.env, script(l));
      l.wall.push(wall);
      l.importMs.push(Number(/INIT ([\d.]+)/.exec(stdout)?.[1] ?? NaN));
    }
  }
  return median(bare);
}

type Cold = Omit<Awaited<ReturnType<typeof firstFlag>>, 'container'>;
export async function coldFlags(lab: Lab, runs: number, kinds: [Load, Env][], idleMs = 0): Promise<Cold[][]> {
  const cold = kinds.map((): Cold[] => []);
  for (const i of interleave(runs, [...kinds.keys()])) {
    const [load, env] = kinds[i] as [Load, Env];
    const { container, ...flag } = await firstFlag(lab, load.entry, env, 'plain', idleMs);
    await container.close();
    cold[i]?.push(flag);
  }
  return cold;
}

export async function measureInit(bundles: Bundles, lab: Lab, o: Options, tmp: string): Promise<Section> {
  // Deployed, our init prefetches (env); loading the code alone, not (loadEnv, the anchor's too).
  const [env, loadEnv, root] = [lab.env(), lab.env({ FLAG_INIT_PREFETCH_MS: '0' }), path.join(tmp, 'lambda')];
  const loads = [bundles.ours, bundles.anchor, bundles.anchorPlugins].map((b, i) => lambdaFolder(root, i, b, loadEnv));
  const [ours, anchor, other] = loads as [Load, Load, Load];
  const bareMs = timeLoads(loads, root, loadEnv, o.initRuns);
  const [first = [], firstAnchor = []] = await coldFlags(lab, o.firstFlagRuns, [
    [ours, env],
    [anchor, env],
  ]);
  const idleKinds: [Load, Env][] = [
    [ours, env],
    [anchor, env],
    [ours, loadEnv],
  ];
  const [idle = [], idleAnchor = [], idleNoPrefetch = []] = await coldFlags(lab, o.firstFlagRuns, idleKinds, IDLE_MS);
  const profile = (l: Load) => profileInit(l.b, loadEnv, o.profileRuns, tmp);
  const [oursProfile, anchorProfile] = [profile(ours), profile(anchor)];

  const overhead = (l: Load) => median(l.wall) - bareMs;
  const med = (c: Cold[], f: (c: Cold) => number) => median(c.map(f));
  const total = (c: Cold) => c.genesys + c.secretReads;
  const max = (c: Cold[], f: (c: Cold) => number) => Math.max(...c.map(f));
  // The most any run sent: a single stray request shows.
  const most = (c: Cold[]) => `${max(c, (x) => x.genesys)} / ${max(c, (x) => x.secretReads)}`;
  const onlyPatch = idle.filter((c) => total(c) === 1 && c.patches === 1).length;
  const bytes = (b: Bundle) =>
    Object.entries(b.inputs).reduce((m, [file, i]) => add(m, packageOf(file), i.bytesInOutput), new Map());
  const zip = (l: Load) => deflateRawSync(readFileSync(l.b.file), { level: 9 }).length;
  const all = (name: string, value: (l: Load) => number, show: (v: number) => string, digits = 2) => {
    const [a, b, c] = loads.map(value) as [number, number, number];
    const vs = (x: number) => (digits ? ratio(a, x, digits) : '');
    return [name, show(a), show(b), vs(b), show(c), vs(c)];
  };
  const timed = (name: string, a: Cold[], b: Cold[], f: (c: Cold) => number) => [
    name,
    ms(med(a, f)),
    ms(med(b, f)),
    ratio(med(a, f), med(b, f)),
    '',
    '',
  ];
  const target = (name: string, vs: Load, init: boolean): Target => {
    const [a, b, goal] = init ? [overhead(ours), overhead(vs), 0.5] : [ours.b.bytes, vs.b.bytes, 0.2];
    const versus = init ? `${fmt(a, 1)} vs ${fmt(b, 1)} ms` : `${kib(a)} vs ${kib(b)}`;
    const measured = `${(a / b).toFixed(init ? 2 : 3)}x (${versus})`;
    return [`${init ? 'init overhead' : 'bundle size'} vs ${name}`, `≤ ${goal}x`, measured, a / b <= goal];
  };
  const sent = (c: Cold[]) => fmt(med(c, (x) => x.initRequests + total(x)));
  const idleRequests =
    onlyPatch === idle.length
      ? `1 (the PATCH) in each of ${onlyPatch} runs`
      : `up to ${max(idle, total)}; only the PATCH in ${onlyPatch} of ${idle.length} runs`;
  const others = `anchor ${fmt(med(idleAnchor, total))}, ${NO_PREFETCH} ${fmt(med(idleNoPrefetch, total))} (medians)`;
  const header = ['', `ours (${path.relative(ROOT, ours.b.file)})`, 'anchor (official SDK)', 'ours / anchor'];
  const [runs, blank] = [`median of ${o.firstFlagRuns}`, ['', '', '']];
  return {
    title: '1. Cold start',
    lines: [
      ...table(
        [...header, 'anchor + our plugins', 'ours / it'],
        [
          all('bundle', (l) => l.b.bytes, kib, 3),
          all('zip (deflate 9)', zip, kib),
          all(
            `process wall, median of ${o.initRuns} (bare \`node --input-type=module -e 0\`: ${ms(bareMs)}; ` +
              `${NO_PREFETCH})`,
            (l) => median(l.wall),
            ms,
            0,
          ),
          all('**init overhead** (wall minus bare; loading the code, no prefetch)', overhead, ms),
          all(`import() inside the process, median (${NO_PREFETCH})`, (l) => median(l.importMs), ms),
          timed(
            `first flag in a fresh process (import + secret + token + PATCH; ours fetches secret and token in its ` +
              `init), ${runs}`,
            first,
            firstAnchor,
            (c) => c.ms,
          ),
          ['requests sent by that first flag (ours: its init included)', sent(first), sent(firstAnchor), ...blank],
          timed(
            `**first flag after an idle init** (init, ${IDLE_MS} ms idle, then the flag alone: handler call to ` +
              `result), ${runs}`,
            idle,
            idleAnchor,
            (c) => c.wallMs,
          ),
          [
            'requests sent by that flag, Genesys / Secrets Manager (most in any run)',
            most(idle),
            most(idleAnchor),
            ...blank,
          ],
          [
            `the same flag, ${NO_PREFETCH} (its flag fetches secret and token); requests as above`,
            `${ms(med(idleNoPrefetch, (c) => c.wallMs))}; ${most(idleNoPrefetch)}`,
            ...timed('', idleNoPrefetch, idleAnchor, (c) => c.wallMs).slice(2),
          ],
          [
            'Node built-in modules loaded by import()',
            ...[oursProfile, anchorProfile].map((p) => p.builtins.length),
            ...blank,
          ],
        ],
      ),
      ...prose(
        `Targets are judged against the anchor column. "anchor + our plugins": the same anchor bundled with the
        project's esbuild plugins; if that is taken as "bundled the same way", compare the last column with the
        targets (≤ 0.2x, ≤ 0.5x). Zip: the bundle alone, raw deflate at level 9 (\`zlib.deflateRawSync\`), without
        the headers a zip adds (about 130 bytes). Every process loads its bundle (an ES module) with \`import()\`; the
        load rows, the profile and the built-ins run ${NO_PREFETCH} (no network during init), the first-flag rows
        with the default prefetch. "First flag after an idle init": a container initialised ahead of traffic
        (provisioned concurrency); ours read the secret and got a token during init, so its first caller waits for
        the PATCH alone, the anchor's for secret + token + PATCH. Login and API are one emulator here: after the short
        idle the PATCH may reuse the connection of the init's token request; in production they are different hosts,
        and a long idle outlives the connection.`,
        `Where the init time goes (\`node --cpu-prof\`, ${o.profileRuns} runs, sampled ms per import minus a bare
        process, ${NO_PREFETCH}; the profiler slows everything, compare shares):`,
      ),
      ...topTable(oursProfile.parts, anchorProfile.parts, 8, (v = 0) => fmt(v, 1), '**sampled total**'),
      ...prose('Largest contributors to bundle size (esbuild metafile, bytes in the output):'),
      ...topTable(bytes(ours.b), bytes(anchor.b), 8, (v) => (v ? kib(v) : '–')),
      ...prose(
        'Node built-ins our import() loads that a bare process does not: ' +
          `${oursProfile.builtins.filter((m) => !m.startsWith('internal/')).join(', ') || 'none'}.`,
      ),
    ],
    targets: [
      ...(
        [
          ['anchor', anchor],
          ['anchor + our plugins', other],
        ] as const
      ).flatMap(([name, vs]) => [target(name, vs, true), target(name, vs, false)]),
      [
        'first flag after an idle init: requests',
        'exactly 1',
        `${idleRequests}; ${others}`,
        onlyPatch > 0 && onlyPatch === idle.length,
      ],
    ],
  };
}

/** Sampled ms per category of an import minus a bare process; the built-ins it loads. */
function profileInit(b: Bundle, env: Env, runs: number, tmp: string) {
  const [url, dir] = [JSON.stringify(pathToFileURL(b.file).href), path.join(tmp, `profile-${path.basename(b.file)}`)];
  const sample = (script: string, name: string, bundle?: Bundle) => {
    const out = path.join(dir, name);
    mkdirSync(out, { recursive: true });
    const args = ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', out];
    for (let i = 0; i < runs; i += 1) node(dir, env, script, args);
    return attribute(
      readdirSync(out).map((f) => path.join(out, f)),
      bundle,
    ).parts;
  };
  const [imported, bare] = [sample(`await import(${url})`, 'bundle', b), sample('0', 'bare')];
  const net = [...imported].map(([k, v]): [string, number] => [k, v - (bare.get(k) ?? 0)]);
  const loaded = "process.moduleLoadList.filter(m=>!before.has(m)&&m.startsWith('NativeModule ')).map(m=>m.slice(13))";
  const script =
    `const before=new Set(process.moduleLoadList);await import(${url});` +
    `process.stdout.write('\\n'+JSON.stringify(${loaded}))`;
  const builtins = JSON.parse(node(dir, env, script).stdout.trim().split('\n').pop() || '[]') as string[];
  return { parts: new Map(net.filter(([, v]) => v > 0.05)), builtins };
}
