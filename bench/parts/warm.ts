/**
 * Part 2, the warm path. One container per side; a first flag makes it warm (secret, token,
 * keep-alive connection); then sequential flags of participants that exist, at loopback speed:
 * CPU (of the container process alone) and wall time per flag, requests the emulators received
 * per flag. Then the V8 profiler around more warm flags in the same container.
 */
import path from 'node:path';
import { flagEvent, log, startContainer, type Bundle, type Bundles, type Lab, type Options } from '../lib/lab';
import { attribute, fmt, mean, percentile, ratio, sum, table, topKeys, type Section } from '../lib/stats';

export async function measureWarm(bundles: Bundles, lab: Lab, o: Options, tmp: string): Promise<Section> {
  const saved = lab.genesys.latencyMs;
  lab.genesys.latencyMs = 0;
  try {
    log(`  ${o.warmFlags} sequential warm flags, then ${o.profileFlags} under the CPU profiler, ours and the anchor`);
    const ours = await warm(bundles.ours, lab, o, path.join(tmp, 'warm-ours.cpuprofile'));
    const anchor = await warm(bundles.anchor, lab, o, path.join(tmp, 'warm-anchor.cpuprofile'));
    const cpu = (s: typeof ours, p: number): number => percentile(s.cpuUs, p) / 1000;
    const wall = (s: typeof ours, p: number): number => percentile(s.wallMs, p);
    const perFlag = (s: typeof ours): number => s.requests / o.warmFlags;
    const row = (name: string, f: (s: typeof ours) => number): string[] => [name, `${fmt(f(ours), 3)} ms`, `${fmt(f(anchor), 3)} ms`, ratio(f(ours), f(anchor))];
    const us = (s: typeof ours, k: string): string => fmt(((s.profile.parts.get(k) ?? 0) * 1000) / o.profileFlags);
    return {
      title: '2. Warm path',
      lines: [
        ...table(['', 'ours', 'anchor', 'ours / anchor'], [
          ['flagged', `${ours.flagged}/${o.warmFlags}`, `${anchor.flagged}/${o.warmFlags}`, ''],
          row('CPU per flag p50', (s) => cpu(s, 50)),
          row('CPU per flag p99', (s) => cpu(s, 99)),
          row('CPU per flag mean', (s) => mean(s.cpuUs) / 1000),
          row('wall per flag p50', (s) => wall(s, 50)),
          row('wall per flag p99', (s) => wall(s, 99)),
          ['requests per warm flag (Genesys + Secrets Manager)', fmt(perFlag(ours), 3), fmt(perFlag(anchor), 3), ''],
          ['of which secret reads / token requests', `${ours.secretReads} / ${ours.tokenRequests}`, `${anchor.secretReads} / ${anchor.tokenRequests}`, ''],
          ['requests of the first (cold) flag, not counted above (+ those of the init before it)', `${ours.firstRequests} (+${ours.initRequests})`, `${anchor.firstRequests} (+${anchor.initRequests})`, ''],
        ]),
        '',
        "CPU is the container process's own (the emulators run in the bench process). Injected latency: none for this part. " +
          (o.prewarm ? `${o.prewarm} unmeasured flags ran first (JIT warm-up), after the first flag.` : 'Measured from the second flag on: the JIT warm-up of the first few hundred flags is included.'),
        '',
        `Where a warm flag's CPU goes (V8 sampling profiler around ${o.profileFlags} more warm flags, busy samples, µs per flag; the profiler adds overhead, compare shares):`,
        '',
        ...table(['', 'ours', 'anchor'], [
          ...topKeys(ours.profile.parts, anchor.profile.parts, 10).map((k) => [k, us(ours, k), us(anchor, k)]),
          ['**busy total**', ...[ours, anchor].map((s) => fmt((sum([...s.profile.parts.values()]) * 1000) / o.profileFlags))],
        ]),
        '',
        `Busiest functions, ours (µs per flag): ${[...ours.profile.functions].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([f, ms]) => `${f} ${fmt((ms * 1000) / o.profileFlags)}`).join('; ')}.`,
      ],
      targets: [
        { part: '2', name: 'CPU per warm flag, p50', target: '< 1 ms', measured: `${fmt(cpu(ours, 50), 3)} ms (anchor ${fmt(cpu(anchor, 50), 3)} ms)`, met: cpu(ours, 50) < 1 },
        { part: '2', name: 'requests per warm flag', target: 'exactly 1.00', measured: `${fmt(perFlag(ours), 3)} (anchor ${fmt(perFlag(anchor), 3)})`, met: ours.requests === o.warmFlags && ours.flagged === o.warmFlags },
      ],
    };
  } finally {
    lab.genesys.latencyMs = saved;
  }
}

async function warm(b: Bundle, lab: Lab, o: Options, profileFile: string) {
  const beforeInit = lab.requestCount();
  const container = await startContainer(b.file, lab.env());
  // Our init reads the secret and gets a token (the prefetch): the first flag then sends only the PATCH.
  const initRequests = lab.requestCount() - beforeInit;
  try {
    const events = (n: number): unknown[] => Array.from({ length: n }, () => flagEvent(lab.conversation()));
    const before = lab.requestCount();
    const first = await container.flag(events(1)[0]);
    if (first.status !== 'UPDATED') throw new Error(`warm-up flag ended ${first.status}`);
    const firstRequests = lab.requestCount() - before;
    if (o.prewarm) await container.sequence(events(o.prewarm));
    const measured = events(o.warmFlags);
    const [start, secrets, tokens] = [lab.requestCount(), lab.secrets.count('GetSecretValue'), lab.genesys.received('token')];
    const { cpuUs, wallMs, statuses } = await container.sequence(measured);
    const [requests, secretReads, tokenRequests] = [lab.requestCount() - start, lab.secrets.count('GetSecretValue') - secrets, lab.genesys.received('token') - tokens];
    await container.sequence(events(o.profileFlags), 'plain', profileFile);
    return { cpuUs, wallMs, flagged: statuses.UPDATED ?? 0, requests, secretReads, tokenRequests, firstRequests, initRequests, profile: attribute([profileFile], b) };
  } finally {
    await container.close();
  }
}
