/**
 * `npm run bench`: our Lambda against the alternatives users have, measured side by side in one
 * run on one machine (issue 5). See bench/README.md for the method, `npm run bench -- --help` for
 * the options.
 *
 *   1. cold start: bundle and zip size, module init, first flag, where the init time goes;
 *   2. warm path: CPU and wall per flag, requests per flag;
 *   3. time to flag after the participant resolves: ours, sleep-then-PATCH, SDK in a 1 s loop;
 *   4. many at once: an SQS batch of 10; a fleet of 8 containers under a per-token rate limit.
 *
 * Prints a markdown report and writes it to bench/results.md, with bench/lag.svg.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HELP, parseArgs, type Options } from './lib/args';
import { cleanup, prepareBundles, ROOT, type Bundles } from './lib/build';
import { startLab, type Lab } from './lib/lab';
import { mark, table, type Section, type Target } from './lib/report';
import { lagChart } from './lib/svg';
import { measureBatch } from './parts/batch';
import { measureFleet } from './parts/fleet';
import { measureInit } from './parts/init';
import { measureLag, type LagSeries } from './parts/lag';
import { measureWarm } from './parts/warm';

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const parsed = parseArgs(argv);
  if (parsed === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const options = parsed;
  const startedAt = new Date();
  const t0 = Date.now();
  const machine = machineLine();
  const loadAtStart = os.loadavg();
  log(`bench: ${machine}; load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`);
  if ((loadAtStart[0] ?? 0) > 0.5) log('warning: other processes are keeping the CPUs busy; timings will be noisier (the report says so)');

  let bundles: Bundles | undefined;
  let lab: Lab | undefined;
  const sections: Section[] = [];
  const timings: string[] = [];
  let series: LagSeries[] | undefined;
  try {
    log('building (scripts/build.mjs options, anchor included) ...');
    bundles = prepareBundles({ build: options.build, anchorPlugins: options.anchorPlugins, log });
    log(bundles.distNote);
    lab = await startLab({ latencyMs: options.latencyMs });

    const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
      const t = Date.now();
      log(`${name} ...`);
      const result = await fn();
      timings.push(`${name} ${((Date.now() - t) / 1000).toFixed(1)} s`);
      return result;
    };
    const b = bundles;
    const l = lab;
    if (options.only.has('init')) {
      sections.push(await timed('1. cold start', () => measureInit(b, l, { runs: options.initRuns, firstFlagRuns: options.firstFlagRuns, profileRuns: options.profileRuns }, log)));
    }
    if (options.only.has('warm')) sections.push(await timed('2. warm path', () => measureWarm(b, l, options.warmFlags, options.prewarm, options.profileFlags, log)));
    if (options.only.has('lag')) {
      const lag = await timed('3. time to flag', () =>
        measureLag(b, l, { delays: options.delays, runs: options.runs, jitter: options.jitter, fixedDelayMs: options.fixedDelayMs, naiveIntervalMs: options.naiveIntervalMs }, log),
      );
      sections.push(lag.section);
      series = lag.series;
    }
    if (options.only.has('batch')) sections.push(await timed('4 (i). SQS batch', () => measureBatch(b, l, { batches: options.batches, records: 10, maxDelayMs: 2000 }, log)));
    if (options.only.has('fleet')) {
      const perWindow = Math.round((options.ratePerMinute * options.rateWindowMs) / 60_000);
      sections.push(
        await timed('4 (ii). fleet', () =>
          measureFleet(b, l, { workers: options.fleetWorkers, flags: options.fleetFlags, limit: { perWindow, windowMs: options.rateWindowMs }, latencyMs: options.latencyMs }, log),
        ),
      );
    }
  } finally {
    await lab?.close();
    cleanup(bundles);
  }

  const totalS = (Date.now() - t0) / 1000;
  const command = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  const subtitle = [
    `${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC · ${machine}`,
    `${options.runs} runs per point · delays ±${Math.round(options.jitter * 100)} % · injected latency ${options.latencyMs} ms · ${command}`,
  ];
  const load = `load average (1, 5, 15 min) at start ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}, at end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}${(loadAtStart[0] ?? 0) > 0.5 ? ' (other processes were busy when the run started: timings are noisier)' : ''}`;
  const report = render(options, sections, { startedAt, machine: `${machine}; ${load}`, command, totalS, timings, distNote: bundles?.distNote ?? '', buildOptions: bundles?.options ?? {}, hasChart: Boolean(series) });
  process.stdout.write(report);

  const outDir = options.out ? path.resolve(options.out) : options.quick ? mkdtempSync(path.join(os.tmpdir(), 'genesys-flagger-bench-quick-')) : path.join(ROOT, 'bench');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'results.md'), report);
  if (series) writeFileSync(path.join(outDir, 'lag.svg'), lagChart(series, subtitle));
  log(`\nwrote ${path.join(outDir, 'results.md')}${series ? ` and ${path.join(outDir, 'lag.svg')}` : ''} (${totalS.toFixed(0)} s)`);
  return 0;
}

interface RunInfo {
  startedAt: Date;
  machine: string;
  command: string;
  totalS: number;
  timings: string[];
  distNote: string;
  buildOptions: Record<string, unknown>;
  hasChart: boolean;
}

function render(options: Options, sections: Section[], info: RunInfo): string {
  const targets: Target[] = sections.flatMap((s) => s.targets);
  const met = targets.filter((t) => t.met).length;
  const { plugins, ...esbuild } = info.buildOptions as { plugins?: string[] };
  const pluginNames = plugins?.length ? plugins.join(', ') : 'none';
  const lines = [
    '# Benchmark: the flagger against the official SDK and the forum\'s fixed delay',
    '',
    `- **Run:** ${info.startedAt.toISOString()} · \`${info.command}\` · ${info.totalS.toFixed(0)} s (${info.timings.join(', ')})`,
    `- **Machine:** ${info.machine}`,
    `- **Code:** ${commitLine()}; ${info.distNote}`,
    `- **Bundles:** esbuild options read from scripts/build.mjs and used for both: \`${JSON.stringify(esbuild)}\`. The project's esbuild plugins (${pluginNames}) ${options.anchorPlugins ? 'applied to the anchor too (--anchor-plugins)' : 'not applied to the anchor: an SDK user would not have them (part 1 also shows the anchor built with them)'}`,
    `- **Emulators:** loopback Genesys Cloud and Secrets Manager from test/emulators; injected latency ${options.latencyMs} ms per request${options.latencyMs ? ' (not in the warm path)' : ''}`,
    '',
    `## Targets: ${met} of ${targets.length} met`,
    '',
    ...table(
      ['part', 'target', 'goal', 'measured', ''],
      targets.map((t) => [t.part, t.name, t.target, t.measured, mark(t.met)]),
    ),
    '',
  ];
  for (const section of sections) {
    lines.push(`## ${section.title}`, '', ...section.lines, '');
    if (section.title.startsWith('3.') && info.hasChart) lines.push('![lag after the participant resolves, by resolve delay](lag.svg)', '');
  }
  lines.push('Method, options and how to re-run: bench/README.md.', '');
  return `${lines.join('\n')}`;
}

function machineLine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
}

function commitLine(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'lib', 'functions', 'scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return `commit ${commit}${dirty ? ' with uncommitted changes in lib/, functions/ or scripts/build.mjs' : ''}`;
  } catch {
    return 'commit unknown';
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
