/**
 * `npm run bench`: our Lambda against what users would otherwise deploy, side by side in one run on
 * one machine (method: bench/README.md). Prints a markdown report and writes it to
 * bench/results.md with bench/lag.svg; `--quick` writes them to a temp folder instead.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildBundles, COUNTS, log, ROOT, startLab, type Lab, type Options } from './lib/lab';
import { table, type Section } from './lib/stats';
import { measureInit } from './parts/init';
import { JITTER, lagChart, measureLag, type LagSeries } from './parts/lag';
import { measureBatch, measureFleet } from './parts/many';
import { measureWarm } from './parts/warm';

const PARTS = ['init', 'warm', 'lag', 'batch', 'fleet'];
const HELP = `npm run bench -- [options]
  --quick          smoke run of about a minute, fewer runs everywhere; writes to a temp folder
  --latency-ms N   added to every emulator request, 429s included (default 0; never on the warm path)
  --only a,b       run only these parts: ${PARTS.join(',')}
  --runs N         lag runs per delay and approach (default 30, --quick 5)
`;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const string = { type: 'string' } as const;
  const { values: a } = parseArgs({ args: argv, options: { quick: { type: 'boolean' }, 'latency-ms': string, only: string, runs: string, help: { type: 'boolean', short: 'h' } } });
  if (a.help) return void process.stdout.write(HELP);
  const only = a.only?.split(',') ?? PARTS;
  const [latencyMs, runs] = [Number(a['latency-ms'] ?? 0), Number(a.runs ?? COUNTS[a.quick ? 'quick' : 'full'].runs)];
  if (only.some((p) => !PARTS.includes(p)) || !(latencyMs >= 0) || !(runs >= 1)) throw new Error(`bad options: ${argv.join(' ')}\n${HELP}`);
  const o: Options = { ...COUNTS[a.quick ? 'quick' : 'full'], latencyMs, runs };
  const cpus = os.cpus();
  const machine = `${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
  const [startedAt, loadAtStart] = [new Date(), os.loadavg()];
  const busy = (loadAtStart[0] ?? 0) > 0.5;
  log(`bench: ${machine}; load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`);
  if (busy) log('warning: other processes are keeping the CPUs busy; timings will be noisier (the report says so)');

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'genesys-flagger-bench-'));
  let lab: Lab | undefined;
  try {
    log('building (scripts/build.mjs options, anchor included) ...');
    const b = await buildBundles(tmp);
    log(b.distNote);
    const l = (lab = await startLab(o.latencyMs));
    const [sections, timings]: [Section[], string[]] = [[], []];
    let series: LagSeries[] | undefined;
    const part = async (key: string, name: string, measure: () => Promise<Section>): Promise<void> => {
      if (!only.includes(key)) return;
      const t = Date.now();
      log(`${name} ...`);
      sections.push(await measure());
      timings.push(`${name} ${((Date.now() - t) / 1000).toFixed(1)} s`);
    };
    await part('init', '1. cold start', () => measureInit(b, l, o, tmp));
    await part('warm', '2. warm path', () => measureWarm(b, l, o, tmp));
    await part('lag', '3. time to flag', async () => {
      const lag = await measureLag({ ours: b.ours.file, anchor: b.anchor.file }, l, o);
      series = lag.series;
      return lag.section;
    });
    await part('batch', '4 (i). SQS batch', () => measureBatch(b, l, o));
    await part('fleet', '4 (ii). fleet', () => measureFleet(b, l, o));

    const totalS = (Date.now() - startedAt.getTime()) / 1000;
    const command = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
    const loads = (l: number[]): string => l.map((v) => v.toFixed(2)).join(' ');
    const targets = sections.flatMap((s) => s.targets);
    const lines = [
      "# Benchmark: the flagger against the official SDK and the forum's fixed delay",
      '',
      `- **Run:** ${startedAt.toISOString()} · \`${command}\` · ${totalS.toFixed(0)} s (${timings.join(', ')})`,
      `- **Machine:** ${machine}; load average (1, 5, 15 min) at start ${loads(loadAtStart)}, at end ${loads(os.loadavg())}${busy ? ' (other processes were busy when the run started: timings are noisier)' : ''}`,
      `- **Code:** ${commitLine()}; ${b.distNote}`,
      `- **Bundles:** esbuild options read from scripts/build.mjs and used for both: \`${JSON.stringify(b.options)}\`. The project's esbuild plugins (${b.plugins.join(', ') || 'none'}) not applied to the anchor: an SDK user would not have them (part 1 also shows the anchor built with them)`,
      `- **Emulators:** loopback Genesys Cloud and Secrets Manager from test/emulators; injected latency ${o.latencyMs} ms per request${o.latencyMs ? ' (not in the warm path)' : ''}`,
      '',
      `## Targets: ${targets.filter((t) => t.met).length} of ${targets.length} met`,
      '',
      ...table(['part', 'target', 'goal', 'measured', ''], targets.map((t) => [t.part, t.name, t.target, t.measured, t.met ? 'met' : '**not met**'])),
      '',
      ...sections.flatMap((s) => [`## ${s.title}`, '', ...s.lines, '', ...(s.title.startsWith('3.') ? ['![lag after the participant resolves, by resolve delay](lag.svg)', ''] : [])]),
      'Method, options and how to re-run: bench/README.md.',
      '',
    ];
    process.stdout.write(lines.join('\n'));
    const out = a.quick ? mkdtempSync(path.join(os.tmpdir(), 'genesys-flagger-bench-quick-')) : path.join(ROOT, 'bench');
    writeFileSync(path.join(out, 'results.md'), lines.join('\n'));
    const subtitle = [`${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC · ${machine}`, `${o.runs} runs per point · delays ±${JITTER * 100} % · injected latency ${o.latencyMs} ms · ${command}`];
    if (series) writeFileSync(path.join(out, 'lag.svg'), lagChart(series, subtitle));
    log(`\nwrote ${path.join(out, 'results.md')}${series ? ` and ${path.join(out, 'lag.svg')}` : ''} (${totalS.toFixed(0)} s)`);
  } finally {
    await lab?.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

function commitLine(): string {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = git('status', '--porcelain', '--', 'lib', 'functions', 'scripts/build.mjs');
    return `commit ${git('rev-parse', '--short', 'HEAD')}${dirty ? ' with uncommitted changes in lib/, functions/ or scripts/build.mjs' : ''}`;
  } catch {
    return 'commit unknown';
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => (console.error(error), process.exit(1)),
);
