/**
 * Part 2, the warm path. One container per side; a first flag makes it warm (secret, token,
 * keep-alive connection); then N sequential flags of participants that are already there, with no
 * latency injected (the emulators answer at loopback speed). Per flag: CPU time of the container
 * process (process.cpuUsage, user + system) and wall time; over the run: requests the emulators
 * received (Genesys and Secrets Manager) per flag.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Artifact, Bundles } from '../lib/build';
import { Container } from '../lib/container';
import { flagEvent, type Lab } from '../lib/lab';
import { summarizeProfile, type LoopProfile } from '../lib/profile';
import { table, type Section } from '../lib/report';
import { fmt, mean, percentile, ratio } from '../lib/stats';

interface WarmSide {
  cpuUs: number[];
  wallMs: number[];
  requests: number;
  secretReads: number;
  tokenRequests: number;
  flagged: number;
  firstRequests: number;
}

export async function measureWarm(bundles: Bundles, lab: Lab, flags: number, prewarm: number, profileFlags: number, log: (line: string) => void): Promise<Section> {
  const savedLatency = lab.genesys.latencyMs;
  lab.genesys.latencyMs = 0;
  try {
    log(`  ${flags} sequential warm flags, ours`);
    const ours = await run(bundles.ours.file, lab, flags, prewarm);
    log(`  ${flags} sequential warm flags, anchor`);
    const anchor = await run(bundles.anchor.file, lab, flags, prewarm);

    log(`  CPU profile of ${profileFlags} warm flags each (separate runs)`);
    const oursProfile = await profileWarm(bundles.ours, lab, profileFlags);
    const anchorProfile = await profileWarm(bundles.anchor, lab, profileFlags);

    const cpu = (s: WarmSide, p: number): number => percentile(s.cpuUs, p) / 1000;
    const wall = (s: WarmSide, p: number): number => percentile(s.wallMs, p);
    const perFlag = (s: WarmSide): number => s.requests / flags;
    const lines = table(
      ['', 'ours', 'anchor', 'ours / anchor'],
      [
        ['flagged', `${ours.flagged}/${flags}`, `${anchor.flagged}/${flags}`, ''],
        ['CPU per flag p50', `${fmt(cpu(ours, 50), 3)} ms`, `${fmt(cpu(anchor, 50), 3)} ms`, ratio(cpu(ours, 50), cpu(anchor, 50))],
        ['CPU per flag p99', `${fmt(cpu(ours, 99), 3)} ms`, `${fmt(cpu(anchor, 99), 3)} ms`, ratio(cpu(ours, 99), cpu(anchor, 99))],
        ['CPU per flag mean', `${fmt(mean(ours.cpuUs) / 1000, 3)} ms`, `${fmt(mean(anchor.cpuUs) / 1000, 3)} ms`, ratio(mean(ours.cpuUs), mean(anchor.cpuUs))],
        ['wall per flag p50', `${fmt(wall(ours, 50), 3)} ms`, `${fmt(wall(anchor, 50), 3)} ms`, ratio(wall(ours, 50), wall(anchor, 50))],
        ['wall per flag p99', `${fmt(wall(ours, 99), 3)} ms`, `${fmt(wall(anchor, 99), 3)} ms`, ratio(wall(ours, 99), wall(anchor, 99))],
        ['requests per warm flag (Genesys + Secrets Manager)', fmt(perFlag(ours), 3), fmt(perFlag(anchor), 3), ''],
        ['of which secret reads / token requests', `${ours.secretReads} / ${ours.tokenRequests}`, `${anchor.secretReads} / ${anchor.tokenRequests}`, ''],
        ['requests of the first (cold) flag, not counted above', String(ours.firstRequests), String(anchor.firstRequests), ''],
      ],
    );
    const cpuP50 = cpu(ours, 50);
    return {
      title: '2. Warm path',
      lines: [
        ...lines,
        '',
        `CPU is the container process's own (the emulators run in the bench process). Injected latency: none for this part. ` +
          (prewarm ? `${prewarm} unmeasured flags ran first (JIT warm-up), after the first flag.` : 'Measured from the second flag on: the JIT warm-up of the first few hundred flags is included.'),
        '',
        `Where a warm flag's CPU goes (V8 sampling profiler around ${profileFlags} more warm flags, busy samples, µs per flag; the profiler adds overhead, compare shares):`,
        '',
        ...table(['', 'ours', 'anchor'], profileRows(oursProfile, anchorProfile, profileFlags)),
        '',
        `Busiest functions, ours (µs per flag): ${oursProfile.functions.slice(0, 10).map((f) => `${f.name} ${fmt((f.ms * 1000) / profileFlags)}`).join('; ')}.`,
      ],
      targets: [
        { part: '2', name: 'CPU per warm flag, p50', target: '< 1 ms', measured: `${fmt(cpuP50, 3)} ms (anchor ${fmt(cpu(anchor, 50), 3)} ms)`, met: cpuP50 < 1 },
        { part: '2', name: 'requests per warm flag', target: 'exactly 1.00', measured: `${fmt(perFlag(ours), 3)} (anchor ${fmt(perFlag(anchor), 3)})`, met: ours.requests === flags && ours.flagged === flags },
      ],
    };
  } finally {
    lab.genesys.latencyMs = savedLatency;
  }
}

async function run(bundle: string, lab: Lab, flags: number, prewarm: number): Promise<WarmSide> {
  const container = await Container.start(bundle, lab.env());
  try {
    const before = lab.requestCount();
    const first = await container.flag(flagEvent(lab.conversation(0)));
    if (first.result.status !== 'UPDATED') throw new Error(`warm-up flag ended ${first.result.status}`);
    const firstRequests = lab.requestCount() - before;
    if (prewarm > 0) await container.sequence(Array.from({ length: prewarm }, () => flagEvent(lab.conversation(0))));
    const events = Array.from({ length: flags }, () => flagEvent(lab.conversation(0)));
    const start = lab.requestCount();
    const secretsBefore = lab.secrets.count('GetSecretValue');
    const tokensBefore = lab.genesys.received('token');
    const reply = await container.sequence(events, { detail: true });
    return {
      cpuUs: reply.cpuUs ?? [],
      wallMs: reply.wallMs ?? [],
      requests: lab.requestCount() - start,
      secretReads: lab.secrets.count('GetSecretValue') - secretsBefore,
      tokenRequests: lab.genesys.received('token') - tokensBefore,
      flagged: reply.statuses.UPDATED ?? 0,
      firstRequests,
    };
  } finally {
    await container.close();
  }
}

async function profileWarm(artifact: Artifact, lab: Lab, flags: number): Promise<LoopProfile> {
  const dir = mkdtempSync(path.join(tmpdir(), 'genesys-flagger-bench-warmprof-'));
  const container = await Container.start(artifact.file, lab.env());
  try {
    await container.flag(flagEvent(lab.conversation(0)));
    // A few hundred unprofiled flags first, so that the profile shows the optimized steady state.
    await container.sequence(Array.from({ length: Math.min(300, flags) }, () => flagEvent(lab.conversation(0))));
    const file = path.join(dir, 'warm.cpuprofile');
    await container.sequence(Array.from({ length: flags }, () => flagEvent(lab.conversation(0))), { profile: file });
    return summarizeProfile(file, artifact.file, artifact.map);
  } finally {
    await container.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function profileRows(ours: LoopProfile, anchor: LoopProfile, flags: number): string[][] {
  const names = new Set([...ours.parts.slice(0, 10), ...anchor.parts.slice(0, 10)].map((p) => p.name));
  const us = (profile: LoopProfile, name: string): number => ((profile.parts.find((p) => p.name === name)?.ms ?? 0) * 1000) / flags;
  const rows = [...names].map((name) => ({ name, o: us(ours, name), a: us(anchor, name) })).sort((x, y) => y.o + y.a - x.o - x.a);
  return [...rows.map((r) => [r.name, fmt(r.o), fmt(r.a)]), ['**busy total**', fmt((ours.busyMs * 1000) / flags), fmt((anchor.busyMs * 1000) / flags)]];
}
