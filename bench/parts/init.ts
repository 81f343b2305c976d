/**
 * Part 1, cold start. Each bundle is copied alone into an empty folder (as in a Lambda package)
 * and required by a fresh `node` process; the same for a bare `node -e 0`. Runs are interleaved
 * in random order so that drift of the machine hits all three alike. Reported: bundle and zip
 * size, the median process wall time minus the bare process's (the spec's "init overhead"), the
 * median require() time measured inside the process, and a first flag in a fresh process
 * (require + secret + token + PATCH against the emulators), which is what a caller waits for on
 * a real cold start.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bytesByPackage, type Artifact, type Bundles } from '../lib/build';
import { flagEvent, type Lab } from '../lib/lab';
import { profileInit, type InitProfile } from '../lib/profile';
import { table, type Section } from '../lib/report';
import { fmt, kib, median, ratio, shuffle } from '../lib/stats';
import { zipOne } from '../lib/zip';

export interface InitOptions {
  runs: number;
  firstFlagRuns: number;
  profileRuns: number;
}

interface Side {
  label: string;
  artifact: Artifact;
  dir: string;
  zipBytes: number;
  wall: number[];
  requireMs: number[];
  firstFlagMs: number[];
  firstFlagWall: number[];
  firstFlagRequests: number[];
  profile?: InitProfile;
}

export async function measureInit(bundles: Bundles, lab: Lab, options: InitOptions, log: (line: string) => void): Promise<Section> {
  const root = mkdtempSync(path.join(tmpdir(), 'genesys-flagger-bench-lambda-'));
  try {
    const side = (label: string, artifact: Artifact): Side => {
      const dir = path.join(root, label);
      mkdirSync(dir, { recursive: true });
      copyFileSync(artifact.file, path.join(dir, 'index.js'));
      const zipBytes = zipOne(path.basename(artifact.file), readFileSync(artifact.file)).length;
      return { label, artifact, dir, zipBytes, wall: [], requireMs: [], firstFlagMs: [], firstFlagWall: [], firstFlagRequests: [] };
    };
    const ours = side('ours', bundles.ours);
    const anchor = side('anchor', bundles.anchor);
    const other = side('other', bundles.otherAnchor);
    const bareWall: number[] = [];
    const env = lab.env();

    const requireScript = "const t=process.hrtime.bigint();require('./index.js');process.stdout.write('\\nINIT '+Number(process.hrtime.bigint()-t)/1e6+'\\n')";
    const timed = (cwd: string, script: string): { wall: number; stdout: string } => {
      const t = process.hrtime.bigint();
      const run = spawnSync(process.execPath, ['-e', script], { cwd, env, encoding: 'utf8' });
      const wall = Number(process.hrtime.bigint() - t) / 1e6;
      if (run.status !== 0) throw new Error(`node -e failed in ${cwd}: ${run.stderr}`);
      return { wall, stdout: run.stdout };
    };

    log(`  module init: ${options.runs} runs each of node -e 0, ours, the anchor and the anchor's other build (interleaved)`);
    for (const s of [ours, anchor, other]) timed(s.dir, requireScript); // file cache, once
    timed(root, '0');
    for (let i = 0; i < options.runs; i += 1) {
      for (const which of shuffle(['bare', 'ours', 'anchor', 'other'])) {
        if (which === 'bare') {
          bareWall.push(timed(root, '0').wall);
          continue;
        }
        const s = which === 'ours' ? ours : which === 'anchor' ? anchor : other;
        const { wall, stdout } = timed(s.dir, requireScript);
        s.wall.push(wall);
        s.requireMs.push(Number(/INIT ([\d.]+)/.exec(stdout)?.[1] ?? Number.NaN));
      }
    }

    log(`  first flag in a fresh process: ${options.firstFlagRuns} runs each`);
    for (let i = 0; i < options.firstFlagRuns; i += 1) {
      for (const s of shuffle([ours, anchor])) await firstFlag(s, lab);
    }

    log(`  --cpu-prof of the init: ${options.profileRuns} profiled runs each`);
    ours.profile = profileInit(ours.artifact.file, ours.artifact.map, env, options.profileRuns);
    anchor.profile = profileInit(anchor.artifact.file, anchor.artifact.map, env, options.profileRuns);

    const bare = median(bareWall);
    const overhead = (s: Side): number => median(s.wall) - bare;
    const bundleRatio = ours.artifact.bytes / anchor.artifact.bytes;
    const initRatio = overhead(ours) / overhead(anchor);
    const otherName = bundles.anchorPlugins ? 'anchor without our plugins' : `anchor + our plugins`;
    const lines = [
      ...table(
        ['', 'ours (dist/functions/data-action.js)', 'anchor (official SDK)', 'ours / anchor', otherName, 'ours / it'],
        [
          ['bundle', kib(ours.artifact.bytes), kib(anchor.artifact.bytes), ratio(ours.artifact.bytes, anchor.artifact.bytes, 3), kib(other.artifact.bytes), ratio(ours.artifact.bytes, other.artifact.bytes, 3)],
          ['zip (deflate 9)', kib(ours.zipBytes), kib(anchor.zipBytes), ratio(ours.zipBytes, anchor.zipBytes), kib(other.zipBytes), ratio(ours.zipBytes, other.zipBytes)],
          [`process wall, median of ${options.runs} (bare \`node -e 0\`: ${fmt(bare, 1)} ms)`, `${fmt(median(ours.wall), 1)} ms`, `${fmt(median(anchor.wall), 1)} ms`, '', `${fmt(median(other.wall), 1)} ms`, ''],
          ['**init overhead** (wall minus bare)', `${fmt(overhead(ours), 1)} ms`, `${fmt(overhead(anchor), 1)} ms`, ratio(overhead(ours), overhead(anchor)), `${fmt(overhead(other), 1)} ms`, ratio(overhead(ours), overhead(other))],
          ['require() inside the process, median', `${fmt(median(ours.requireMs), 1)} ms`, `${fmt(median(anchor.requireMs), 1)} ms`, ratio(median(ours.requireMs), median(anchor.requireMs)), `${fmt(median(other.requireMs), 1)} ms`, ratio(median(ours.requireMs), median(other.requireMs))],
          [
            `first flag in a fresh process (require + secret + token + PATCH), median of ${options.firstFlagRuns}`,
            `${fmt(median(ours.firstFlagMs), 1)} ms`,
            `${fmt(median(anchor.firstFlagMs), 1)} ms`,
            ratio(median(ours.firstFlagMs), median(anchor.firstFlagMs)),
            '',
            '',
          ],
          ['requests sent by that first flag', fmt(median(ours.firstFlagRequests)), fmt(median(anchor.firstFlagRequests)), '', '', ''],
          ['Node built-in modules loaded by require()', String(ours.profile.builtins.length), String(anchor.profile.builtins.length), '', '', ''],
        ],
      ),
      '',
      `Targets are judged against the anchor column. "${otherName}": the same anchor bundled ${bundles.anchorPlugins ? 'without' : 'with'} the project's esbuild plugins; if that is taken as "bundled the same way", compare the last column with the targets (≤ 0.2x, ≤ 0.5x).`,
      '',
      `Where the init time goes (\`node --cpu-prof\`, ${options.profileRuns} runs, sampled ms per require minus a bare process; the profiler slows everything, compare shares):`,
      '',
      ...table(['', 'ours', 'anchor'], profileRows(ours.profile, anchor.profile)),
      '',
      'Largest contributors to bundle size (esbuild metafile, bytes in the output):',
      '',
      ...table(['', 'ours', 'anchor'], sizeRows(ours.artifact, anchor.artifact)),
      '',
      `Node built-ins our require() loads that a bare process does not: ${ours.profile.builtins.filter((m) => !m.startsWith('internal/')).join(', ') || 'none'}.`,
    ];
    return {
      title: '1. Cold start',
      lines,
      targets: [
        { part: '1', name: 'init overhead vs anchor', target: '≤ 0.5x', measured: `${initRatio.toFixed(2)}x (${fmt(overhead(ours), 1)} vs ${fmt(overhead(anchor), 1)} ms)`, met: initRatio <= 0.5 },
        { part: '1', name: 'bundle size vs anchor', target: '≤ 0.2x', measured: `${bundleRatio.toFixed(3)}x (${kib(ours.artifact.bytes)} vs ${kib(anchor.artifact.bytes)})`, met: bundleRatio <= 0.2 },
        {
          part: '1',
          name: `init overhead vs ${otherName}`,
          target: '≤ 0.5x',
          measured: `${(overhead(ours) / overhead(other)).toFixed(2)}x (${fmt(overhead(ours), 1)} vs ${fmt(overhead(other), 1)} ms)`,
          met: overhead(ours) / overhead(other) <= 0.5,
        },
        {
          part: '1',
          name: `bundle size vs ${otherName}`,
          target: '≤ 0.2x',
          measured: `${(ours.artifact.bytes / other.artifact.bytes).toFixed(3)}x (${kib(ours.artifact.bytes)} vs ${kib(other.artifact.bytes)})`,
          met: ours.artifact.bytes / other.artifact.bytes <= 0.2,
        },
      ],
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** A fresh process: require, then one flag of a participant that is already there. */
function firstFlag(side: Side, lab: Lab): Promise<void> {
  const ids = lab.conversation(0);
  const before = lab.requestCount();
  const script = `
    const t0 = process.hrtime.bigint();
    const { handler } = require('./index.js');
    const end = Date.now() + 10000;
    handler(JSON.parse(process.argv[1]), { awsRequestId: 'bench-cold', getRemainingTimeInMillis: () => end - Date.now() }).then((r) => {
      process.stdout.write('\\nFIRST ' + Number(process.hrtime.bigint() - t0) / 1e6 + ' ' + r.status + '\\n');
      process.exit(0);
    });`;
  const t = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, JSON.stringify(flagEvent(ids))], { cwd: side.dir, env: lab.env() });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      const match = /FIRST ([\d.]+) (\w+)/.exec(out);
      if (code !== 0 || !match) return reject(new Error(`first flag (${side.label}) failed: ${err || out}`));
      if (match[2] !== 'UPDATED') return reject(new Error(`first flag (${side.label}) ended ${match[2]}`));
      side.firstFlagMs.push(Number(match[1]));
      side.firstFlagWall.push(Number(process.hrtime.bigint() - t) / 1e6);
      side.firstFlagRequests.push(lab.requestCount() - before);
      resolve();
    });
  });
}

function profileRows(ours: InitProfile, anchor: InitProfile): string[][] {
  const names = new Set([...ours.parts.slice(0, 8), ...anchor.parts.slice(0, 8)].map((p) => p.name));
  const ms = (profile: InitProfile, name: string): string => fmt(profile.parts.find((p) => p.name === name)?.ms ?? 0, 1);
  const rows = [...names]
    .map((name) => [name, ms(ours, name), ms(anchor, name)])
    .sort((a, b) => Number(b[1]) + Number(b[2]) - Number(a[1]) - Number(a[2]));
  rows.push(['**sampled total**', fmt(ours.totalMs, 1), fmt(anchor.totalMs, 1)]);
  return rows;
}

function sizeRows(ours: Artifact, anchor: Artifact): string[][] {
  const o = bytesByPackage(ours.output);
  const a = bytesByPackage(anchor.output);
  const names = new Set([...o.slice(0, 8), ...a.slice(0, 8)].map((p) => p.name));
  const bytes = (list: { name: string; bytes: number }[], name: string): number => list.find((p) => p.name === name)?.bytes ?? 0;
  return [...names]
    .map((name) => ({ name, o: bytes(o, name), a: bytes(a, name) }))
    .sort((x, y) => y.o + y.a - x.o - x.a)
    .map((r) => [r.name, r.o ? kib(r.o) : '–', r.a ? kib(r.a) : '–']);
}
