/**
 * Part 1, cold start: sizes; fresh `node` processes importing each bundle alone in an empty folder, shuffled
 * with a bare process; first flags in fresh containers, at once and after an idle init; where the init goes.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { flagEvent, ROOT, startContainer, type Bundle, type Bundles, type Env, type Lab } from '../lib/lab';
import type { Options } from '../lib/lab';
import { add, attribute, fmt, interleave, kib, median, ms, packageOf, prose, ratio, table, topTable } from '../lib/stats';
import type { Section, Target } from '../lib/stats';

/** How long a container initialised ahead of traffic (provisioned concurrency) sits idle before its first event. */
const IDLE_MS = 300;
/** Every fresh process evaluates its script as an ES module, the bare one included: the same loader for all. */
const NODE_ESM = ['--input-type=module', '-e'];
const NO_PREFETCH = 'ours with FLAG_INIT_PREFETCH_MS=0';
const FIRST = 'first flag in a fresh process (import + secret + token + PATCH; ours fetches secret and token in its init)';
const IDLE = `init, ${IDLE_MS} ms idle, then the flag alone: handler call to result`;

/** A bundle alone in an empty folder (index.mjs: the build's extension tells Node the module format). */
export type Load = { b: Bundle; dir: string; entry: string; env: Env; wall: number[]; importMs: number[] };

export function lambdaFolder(root: string, name: string, b: Bundle, env: Env): Load {
  const dir = path.join(root, name);
  const entry = path.join(dir, `index${path.extname(b.file)}`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(b.file, entry);
  return { b, dir, entry, env, wall: [], importMs: [] };
}

function node(cwd: string, env: Env, script: string, args: string[] = []): { wall: number; stdout: string } {
  const t = process.hrtime.bigint();
  const run = spawnSync(process.execPath, [...args, ...NODE_ESM, script], { cwd, env, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} -e failed in ${cwd}: ${run.stderr}`);
  return { wall: Number(process.hrtime.bigint() - t) / 1e6, stdout: run.stdout };
}

/** One unmeasured run of each (into the file cache), then `runs` shuffled rounds of each and a bare process. */
export function timeLoads(loads: Load[], root: string, bareEnv: Env, runs: number): number[] {
  const script = (l: Load): string =>
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
      l.importMs.push(Number(/INIT ([\d.]+)/.exec(stdout)?.[1] ?? Number.NaN));
    }
  }
  return bare;
}

/**
 * A first flag in a fresh container, after `idleMs` of idle. `ms`: init + flag; `requests`: all sent since before
 * the process started. `flagMs` (handler call to result), `genesys`, `patches`, `secretReads`: the flag alone.
 */
export type Cold = { ms: number; requests: number; flagMs: number; genesys: number; patches: number; secretReads: number };
export async function coldFlag(lab: Lab, entry: string, env: Env, idleMs = 0): Promise<Cold> {
  const [before, container] = [lab.requestCount(), await startContainer(entry, env)];
  if (idleMs) await sleep(idleMs);
  const [t, genesys, secrets] = [performance.now(), lab.genesys.arrivals.length, lab.secrets.requests.length];
  const { status, wallMs } = await container.flag(flagEvent(lab.conversation()));
  const [ms, sent] = [container.initMs + performance.now() - t, lab.genesys.arrivals.slice(genesys)];
  const patches = sent.filter((r) => r.route === 'patch-attributes').length;
  const cold = { ms, requests: lab.requestCount() - before, flagMs: wallMs, genesys: sent.length, patches };
  const secretReads = lab.secrets.requests.length - secrets;
  await container.close();
  if (status !== 'UPDATED') throw new Error(`first flag in ${entry} ended ${status}`);
  return { ...cold, secretReads };
}

export async function measureInit(bundles: Bundles, lab: Lab, o: Options, tmp: string): Promise<Section> {
  // Deployed, our init prefetches (env); loading the code alone, it does not (loadEnv, set for the anchor too).
  const [env, loadEnv, root] = [lab.env(), lab.env({ FLAG_INIT_PREFETCH_MS: '0' }), path.join(tmp, 'lambda')];
  const ours = lambdaFolder(root, 'ours', bundles.ours, loadEnv);
  const anchor = lambdaFolder(root, 'anchor', bundles.anchor, loadEnv);
  const other = lambdaFolder(root, 'anchor-plugins', bundles.anchorPlugins, loadEnv);
  const bareMs = median(timeLoads([ours, anchor, other], root, loadEnv, o.initRuns));
  type Kind = 'ours' | 'anchor' | 'idleOurs' | 'idleAnchor' | 'idleNoPrefetch';
  const kinds: Record<Kind, [Load, Env, number]> = {
    ours: [ours, env, 0], anchor: [anchor, env, 0], idleOurs: [ours, env, IDLE_MS],
    idleAnchor: [anchor, env, IDLE_MS], idleNoPrefetch: [ours, loadEnv, IDLE_MS],
  };
  const cold: Record<Kind, Cold[]> = { ours: [], anchor: [], idleOurs: [], idleAnchor: [], idleNoPrefetch: [] };
  for (const group of [['ours', 'anchor'], ['idleOurs', 'idleAnchor', 'idleNoPrefetch']] as Kind[][]) {
    for (const k of interleave(o.firstFlagRuns, group)) {
      const [load, kindEnv, idleMs] = kinds[k];
      cold[k].push(await coldFlag(lab, load.entry, kindEnv, idleMs));
    }
  }
  const oursProfile = profileInit(bundles.ours, loadEnv, o.profileRuns, path.join(tmp, 'profile-ours'));
  const anchorProfile = profileInit(bundles.anchor, loadEnv, o.profileRuns, path.join(tmp, 'profile-anchor'));

  const overhead = (l: Load): number => median(l.wall) - bareMs;
  const med = (k: Kind, f: (c: Cold) => number): number => median(cold[k].map(f));
  // The most any run sent: a single stray request shows.
  const most = (k: Kind): string => {
    const max = (f: (c: Cold) => number): number => Math.max(...cold[k].map(f));
    return `${max((c) => c.genesys)} / ${max((c) => c.secretReads)}`;
  };
  const total = (c: Cold): number => c.genesys + c.secretReads;
  const onlyPatch = cold.idleOurs.filter((c) => total(c) === 1 && c.patches === 1).length;
  const bytes = (b: Bundle): Map<string, number> =>
    Object.entries(b.inputs).reduce((m, [file, i]) => add(m, packageOf(file), i.bytesInOutput), new Map<string, number>());
  const zip = (l: Load): number => deflateRawSync(readFileSync(l.b.file), { level: 9 }).length;
  const all = (name: string, value: (l: Load) => number, show: (v: number) => string, digits = 2): string[] => {
    const [a, b, c] = [ours, anchor, other].map(value) as [number, number, number];
    return [name, show(a), show(b), ratio(a, b, digits), show(c), ratio(a, c, digits)];
  };
  const two = (name: string, a: string, b: string, r = ''): string[] => [name, a, b, r, '', ''];
  const timed = (name: string, k: Kind, vs: Kind, f: (c: Cold) => number): string[] =>
    two(name, ms(med(k, f)), ms(med(vs, f)), ratio(med(k, f), med(vs, f)));
  const target = (name: string, vs: Load, init: boolean): Target => {
    const [a, b, goal] = init ? [overhead(ours), overhead(vs), 0.5] : [ours.b.bytes, vs.b.bytes, 0.2];
    const versus = init ? `${fmt(a, 1)} vs ${fmt(b, 1)} ms` : `${kib(a)} vs ${kib(b)}`;
    const measured = `${(a / b).toFixed(init ? 2 : 3)}x (${versus})`;
    return [`${init ? 'init overhead' : 'bundle size'} vs ${name}`, `≤ ${goal}x`, measured, a / b <= goal];
  };
  const runs = `median of ${o.firstFlagRuns}`;
  const sent = (k: Kind): string => fmt(med(k, (c) => c.requests));
  const idleRequests = onlyPatch === cold.idleOurs.length
    ? `1 (the PATCH) in each of ${onlyPatch} runs`
    : `up to ${Math.max(...cold.idleOurs.map(total))}; only the PATCH in ${onlyPatch} of ${cold.idleOurs.length} runs`;
  const others = `anchor ${fmt(med('idleAnchor', total))}, ${NO_PREFETCH} ${fmt(med('idleNoPrefetch', total))} (medians)`;
  const header = ['', `ours (${path.relative(ROOT, ours.b.file)})`, 'anchor (official SDK)', 'ours / anchor'];
  return {
    title: '1. Cold start',
    lines: [
      ...table([...header, 'anchor + our plugins', 'ours / it'], [
        all('bundle', (l) => l.b.bytes, kib, 3),
        all('zip (deflate 9)', zip, kib),
        [
          `process wall, median of ${o.initRuns} (bare \`node --input-type=module -e 0\`: ${ms(bareMs)}; ${NO_PREFETCH})`,
          ...[ms(median(ours.wall)), ms(median(anchor.wall)), '', ms(median(other.wall)), ''],
        ],
        all('**init overhead** (wall minus bare; loading the code, no prefetch)', overhead, ms),
        all(`import() inside the process, median (${NO_PREFETCH})`, (l) => median(l.importMs), ms),
        timed(`${FIRST}, ${runs}`, 'ours', 'anchor', (c) => c.ms),
        two('requests sent by that first flag (ours: its init included)', sent('ours'), sent('anchor')),
        timed(`**first flag after an idle init** (${IDLE}), ${runs}`, 'idleOurs', 'idleAnchor', (c) => c.flagMs),
        two('requests sent by that flag, Genesys / Secrets Manager (most in any run)', most('idleOurs'), most('idleAnchor')),
        [
          `the same flag, ${NO_PREFETCH} (its flag fetches secret and token); requests as above`,
          `${ms(med('idleNoPrefetch', (c) => c.flagMs))}; ${most('idleNoPrefetch')}`,
          ...timed('', 'idleNoPrefetch', 'idleAnchor', (c) => c.flagMs).slice(2),
        ],
        two('Node built-in modules loaded by import()', `${oursProfile.builtins.length}`, `${anchorProfile.builtins.length}`),
      ]),
      '',
      prose(`Targets are judged against the anchor column. "anchor + our plugins": the same anchor bundled with the
        project's esbuild plugins; if that is taken as "bundled the same way", compare the last column with the
        targets (≤ 0.2x, ≤ 0.5x). Zip: the bundle alone, raw deflate at level 9 (\`zlib.deflateRawSync\`), without
        the headers a zip adds (about 130 bytes). Every process loads its bundle (an ES module) with \`import()\`; the
        load rows, the profile and the built-ins run ${NO_PREFETCH} (no network during init), the first-flag rows
        with the default prefetch. "First flag after an idle init": a container initialised ahead of traffic
        (provisioned concurrency); ours read the secret and got a token during init, so its first caller waits for
        the PATCH alone, the anchor's for secret + token + PATCH. Login and API are one emulator here: after the short
        idle the PATCH may reuse the connection of the init's token request; in production they are different hosts,
        and a long idle outlives the connection.`),
      '',
      prose(`Where the init time goes (\`node --cpu-prof\`, ${o.profileRuns} runs, sampled ms per import minus a bare
        process, ${NO_PREFETCH}; the profiler slows everything, compare shares):`),
      '',
      ...topTable(oursProfile.parts, anchorProfile.parts, 8, (v = 0) => fmt(v, 1), '**sampled total**'),
      '',
      'Largest contributors to bundle size (esbuild metafile, bytes in the output):',
      '',
      ...topTable(bytes(ours.b), bytes(anchor.b), 8, (v) => (v ? kib(v) : '–')),
      '',
      'Node built-ins our import() loads that a bare process does not: ' +
        `${oursProfile.builtins.filter((m) => !m.startsWith('internal/')).join(', ') || 'none'}.`,
    ],
    targets: [
      target('anchor', anchor, true),
      target('anchor', anchor, false),
      target('anchor + our plugins', other, true),
      target('anchor + our plugins', other, false),
      ['first flag after an idle init: requests', 'exactly 1', `${idleRequests}; ${others}`,
        onlyPatch > 0 && onlyPatch === cold.idleOurs.length],
    ],
  };
}

/** Sampled ms per category of an import minus a bare process (what every process spends anyway); its built-ins. */
function profileInit(b: Bundle, env: Env, runs: number, dir: string): { parts: Map<string, number>; builtins: string[] } {
  const url = JSON.stringify(pathToFileURL(b.file).href);
  const sample = (script: string, name: string, bundle?: Bundle): Map<string, number> => {
    const out = path.join(dir, name);
    mkdirSync(out, { recursive: true });
    const args = ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', out];
    for (let i = 0; i < runs; i += 1) node(dir, env, script, args);
    return attribute(readdirSync(out).map((f) => path.join(out, f)), bundle).parts;
  };
  const [imported, bare] = [sample(`await import(${url})`, 'bundle', b), sample('0', 'bare')];
  const net = [...imported].map(([k, v]): [string, number] => [k, v - (bare.get(k) ?? 0)]);
  const parts = new Map(net.filter(([, v]) => v > 0.05));
  const loaded = "process.moduleLoadList.filter((m)=>!before.has(m)&&m.startsWith('NativeModule ')).map((m)=>m.slice(13))";
  const script = `const before=new Set(process.moduleLoadList);await import(${url});` +
    `process.stdout.write('\\n'+JSON.stringify(${loaded}))`;
  return { parts, builtins: JSON.parse(node(dir, env, script).stdout.trim().split('\n').pop() || '[]') as string[] };
}
