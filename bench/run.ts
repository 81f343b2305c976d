/** `npm run bench`: writes results.md and lag.svg (--quick: to a temp folder); options in bench/README.md. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildBundles, counts, ROOT, startLab, type Bundles, type Lab, type Options } from './lib/lab';
import { table, type Section } from './lib/stats';
import { measureInit } from './parts/init';
import { JITTER, measureLag } from './parts/lag';
import { measureBatch, measureFleet, measureSharedToken } from './parts/many';
import { measureTracing } from './parts/tracing';
import { measureWarm } from './parts/warm';

const PARTS: Record<string, [string, (b: Bundles, lab: Lab, o: Options, tmp: string) => Promise<Section>]> = {
  init: ['1. cold start', measureInit],
  warm: ['2. warm path', measureWarm],
  lag: ['3. time to flag', measureLag],
  batch: ['4 (i). SQS batch', measureBatch],
  fleet: ['4 (ii). fleet', measureFleet],
  shared: ['4 (iii). one token', measureSharedToken],
  tracing: ['5. tracing', measureTracing],
};

async function main(argv: string[]): Promise<void> {
  const string = { type: 'string' } as const;
  const options = { quick: { type: 'boolean' }, 'latency-ms': string, only: string, runs: string } as const;
  const { values: a } = parseArgs({ args: argv, options });
  const [only, defaults] = [a.only?.split(',') ?? Object.keys(PARTS), counts(a.quick ?? false)];
  const o: Options = { ...defaults, latencyMs: Number(a['latency-ms'] ?? 0), runs: Number(a.runs ?? defaults.runs) };
  const bad = only.some((p) => !PARTS[p]) || !(o.latencyMs >= 0) || !(o.runs >= 1);
  if (bad) throw new Error(`bad options: ${argv.join(' ')} (see bench/README.md)`);
  const [cpus, startedAt, loadAtStart] = [os.cpus(), new Date(), os.loadavg()];
  const memory = `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
  const machine = `${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length} cores, ${memory}`;
  const loads = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ');
  const busy = (loadAtStart[0] ?? 0) > 0.5;

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'genesys-flagger-bench-'));
  let lab: Lab | undefined;
  try {
    const b = await buildBundles(tmp);
    lab = await startLab(o.latencyMs, tmp);
    const [sections, timings]: [Section[], string[]] = [[], []];
    for (const [name, measure] of Object.entries(PARTS)
      .filter(([p]) => only.includes(p))
      .map(([, part]) => part)) {
      const t = Date.now();
      console.error(`${name} ...`);
      sections.push(await measure(b, lab, o, tmp));
      timings.push(`${name} ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }

    const totalS = (Date.now() - startedAt.getTime()) / 1000;
    const command = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
    const targets = sections.flatMap((s) => s.targets.map((t) => [/^\d+/.exec(s.title)?.[0] ?? '', ...t] as const));
    const lines = [
      "# Benchmark: the flagger against the official SDK and the forum's fixed delay",
      '',
      `- **Run:** ${startedAt.toISOString()} · \`${command}\` · ${totalS.toFixed(0)} s (${timings.join(', ')})`,
      `- **Machine:** ${machine}; load average (1, 5, 15 min) at start ${loads(loadAtStart)}, at end ` +
        `${loads(os.loadavg())}${busy ? ' (other processes were busy when the run started: timings are noisier)' : ''}`,
      `- **Code:** ${commit()}; ${path.relative(ROOT, b.ours.file)} built by npm run build at the start of the run`,
      '- **Bundles:** esbuild options read from scripts/build.mjs and used for both: ' +
        `\`${JSON.stringify(b.options)}\`. The project's esbuild plugins (${b.plugins.join(', ') || 'none'}) not ` +
        'applied to the anchor: an SDK user would not have them (part 1 also shows the anchor built with them)',
      '- **Emulators:** loopback Genesys Cloud and Secrets Manager from test/emulators; injected latency ' +
        `${o.latencyMs} ms per request${o.latencyMs ? ' (not in the warm path)' : ''}`,
      '',
      `## Targets: ${targets.filter((t) => t[4]).length} of ${targets.length} met`,
      '',
      ...table(
        ['part', 'target', 'goal', 'measured', ''],
        targets.map(([part, name, goal, measured, met]) => [part, name, goal, measured, met ? 'met' : '**not met**']),
      ),
      '',
      ...sections.flatMap((s) => [`## ${s.title}`, '', ...s.lines, '']),
      'Method, options and how to re-run: bench/README.md.',
      '',
    ];
    process.stdout.write(lines.join('\n'));
    const out = a.quick ? mkdtempSync(path.join(os.tmpdir(), 'genesys-flagger-bench-quick-')) : `${ROOT}/bench`;
    writeFileSync(path.join(out, 'results.md'), lines.join('\n'));
    const svg = sections
      .find((s) => s.svg)
      ?.svg?.([
        `${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC · ${machine}`,
        `${o.runs} runs per point · delays ±${JITTER * 100} % · injected latency ${o.latencyMs} ms · ${command}`,
      ]);
    if (svg) writeFileSync(path.join(out, 'lag.svg'), svg);
    console.error(`\nwrote ${path.join(out, 'results.md')}${svg ? ' and lag.svg' : ''} (${totalS.toFixed(0)} s)`);
  } finally {
    await lab?.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

function commit(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = git('status', '--porcelain', '--', 'lib', 'functions', 'scripts/build.mjs');
    const changes = dirty ? ' with uncommitted changes in lib/, functions/ or scripts/build.mjs' : '';
    return `commit ${git('rev-parse', '--short', 'HEAD')}${changes}`;
  } catch {
    return 'commit unknown';
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
