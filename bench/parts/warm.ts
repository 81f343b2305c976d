/** Part 2, the warm path: sequential flags in a warm container per side, then more under the V8 profiler. */
import path from 'node:path';
import { firstFlag, type Bundle, type Bundles, type Env, type Lab, type Options } from '../lib/lab';
import { attribute, fmt, mean, percentile, prose, ratio, table, topTable, type Section } from '../lib/stats';

export type Warm = Awaited<ReturnType<typeof warm>>;
export const cpuMs = (w: Warm, p: number) => percentile(w.cpuUs, p) / 1000;

/** A warmed container's o.warmFlags flags at loopback speed; `profile`: o.profileFlags more under the profiler. */
export async function warm(b: Bundle, env: Env, lab: Lab, o: Options, profile?: string) {
  const latencyMs = lab.genesys.latencyMs;
  lab.genesys.latencyMs = 0;
  const { container, ...first } = await firstFlag(lab, b.file, env);
  const events = (n: number) => Array.from({ length: n }, () => lab.conversation().event);
  if (o.prewarm) await container.sequence(events(o.prewarm));
  const counts = () => [lab.requestCount(), lab.secrets.count(), lab.genesys.received('token')];
  const start = counts();
  const { cpuUs, wallMs, statuses } = await container.sequence(events(o.warmFlags));
  const [requests = 0, secretReads = 0, tokenRequests = 0] = counts().map((n, i) => n - (start[i] ?? 0));
  if (profile) await container.sequence(events(o.profileFlags), 'plain', profile);
  await container.close();
  lab.genesys.latencyMs = latencyMs;
  const [flagged, firstRequests] = [statuses.filter((s) => s === 'UPDATED').length, first.genesys + first.secretReads];
  const counted = { requests, secretReads, tokenRequests, firstRequests, initRequests: first.initRequests };
  return { cpuUs, wallMs, flagged, ...counted, profile: attribute(profile ? [profile] : [], b) };
}

export async function measureWarm(bundles: Bundles, lab: Lab, o: Options, tmp: string): Promise<Section> {
  const ours = await warm(bundles.ours, lab.env(), lab, o, path.join(tmp, 'warm-ours.cpuprofile'));
  const anchor = await warm(bundles.anchor, lab.env(), lab, o, path.join(tmp, 'warm-anchor.cpuprofile'));
  const perFlag = (s: Warm) => s.requests / o.warmFlags;
  const both = (name: string, f: (s: Warm) => string, r = '') => [name, f(ours), f(anchor), r];
  const row = (name: string, f: (s: Warm) => number) =>
    both(name, (s) => `${fmt(f(s), 3)} ms`, ratio(f(ours), f(anchor)));
  const us = (sampledMs = 0) => fmt((sampledMs * 1000) / o.profileFlags);
  const busiest = [...ours.profile.functions]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
    .map(([f, v]) => `${f} ${us(v)}`);
  return {
    title: '2. Warm path',
    lines: [
      ...table(
        ['', 'ours', 'anchor', 'ours / anchor'],
        [
          both('flagged', (s) => `${s.flagged}/${o.warmFlags}`),
          row('CPU per flag p50', (s) => cpuMs(s, 50)),
          row('CPU per flag p99', (s) => cpuMs(s, 99)),
          row('CPU per flag mean', (s) => mean(s.cpuUs) / 1000),
          row('wall per flag p50', (s) => percentile(s.wallMs, 50)),
          row('wall per flag p99', (s) => percentile(s.wallMs, 99)),
          both('requests per warm flag (Genesys + Secrets Manager)', (s) => fmt(perFlag(s), 3)),
          both('of which secret reads / token requests', (s) => `${s.secretReads} / ${s.tokenRequests}`),
          both(
            'requests of the first (cold) flag, not counted above (+ those of the init before it)',
            (s) => `${s.firstRequests} (+${s.initRequests})`,
          ),
        ],
      ),
      ...prose(
        "CPU is the container process's own (the emulators run in the bench process). Injected latency: none for " +
          'this part. ' +
          (o.prewarm
            ? `${o.prewarm} unmeasured flags ran first (JIT warm-up), after the first flag.`
            : 'Measured from the second flag on: the JIT warm-up of the first few hundred flags is included.'),
        `Where a warm flag's CPU goes (V8 sampling profiler around ${o.profileFlags} more warm flags, busy samples,
        µs per flag; the profiler adds overhead, compare shares):`,
      ),
      ...topTable(ours.profile.parts, anchor.profile.parts, 10, us, '**busy total**'),
      '',
      `Busiest functions, ours (µs per flag): ${busiest.join('; ')}.`,
    ],
    targets: [
      [
        'CPU per warm flag, p50',
        '< 1 ms',
        `${fmt(cpuMs(ours, 50), 3)} ms (anchor ${fmt(cpuMs(anchor, 50), 3)} ms)`,
        cpuMs(ours, 50) < 1,
      ],
      [
        'requests per warm flag',
        'exactly 1.00',
        `${fmt(perFlag(ours), 3)} (anchor ${fmt(perFlag(anchor), 3)})`,
        ours.requests === o.warmFlags && ours.flagged === o.warmFlags,
      ],
    ],
  };
}
