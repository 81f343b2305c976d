/**
 * Part 3, time to flag after the participant resolves. For each resolve delay, `runs` fresh
 * conversations whose customer participant becomes known to the API that long after the flag is
 * requested (404 before). Three approaches, each in its own warm container:
 *
 *   ours         dist/functions/data-action.js, one invocation;
 *   fixed delay  the forum's advice on the SDK anchor: sleep (2 s), PATCH once;
 *   SDK + loop   the SDK anchor in a naive loop: PATCH, on a retryable status wait 1 s, again,
 *                until the same 8 s deadline as ours.
 *
 * Lag = the moment the emulator applied the PATCH minus the moment the participant resolved,
 * both on the emulator's clock; a run that never flags has infinite lag (percentiles that reach
 * it print "never"). Attempts = conversation API requests the emulator received for that
 * conversation. Runs of all delays are mixed in random order and started a few ms apart over a
 * few seconds, so they overlap (a data action container serves one call at a time; running them
 * side by side in one container only shortens the bench, the container is otherwise idle).
 *
 * Delays are jittered by ±`jitter` (default ±10 %) of their value: with exact round delays, a
 * loop that polls every 1 s would poll at the very millisecond a 1, 2 or 4 s participant appears,
 * which never happens in a real call.
 */
import type { Bundles } from '../lib/build';
import { Container, type Mode } from '../lib/container';
import { flagEvent, type Lab } from '../lib/lab';
import { table, type Section } from '../lib/report';
import { fmt, max, mean, percentile, shuffle } from '../lib/stats';

export interface LagOptions {
  delays: number[];
  runs: number;
  jitter: number;
  fixedDelayMs: number;
  naiveIntervalMs: number;
}

export interface LagPoint {
  delay: number;
  lags: number[];
  attempts: number[];
  flagged: number;
}

export interface LagSeries {
  key: 'ours' | 'fixed' | 'naive';
  label: string;
  points: LagPoint[];
}

export async function measureLag(bundles: Bundles, lab: Lab, options: LagOptions, log: (line: string) => void): Promise<{ section: Section; series: LagSeries[] }> {
  const approaches: { key: LagSeries['key']; label: string; bundle: string; mode: Mode }[] = [
    { key: 'ours', label: 'ours', bundle: bundles.ours.file, mode: 'plain' },
    { key: 'fixed', label: `fixed delay (sleep ${options.fixedDelayMs / 1000} s, PATCH once)`, bundle: bundles.anchor.file, mode: 'fixed-delay' },
    { key: 'naive', label: `SDK + ${options.naiveIntervalMs / 1000} s retry loop`, bundle: bundles.anchor.file, mode: 'naive-retry' },
  ];
  const series: LagSeries[] = [];
  for (const approach of approaches) {
    log(`  ${approach.label}: ${options.runs} runs x ${options.delays.length} delays`);
    series.push({ key: approach.key, label: approach.label, points: await runApproach(approach.bundle, approach.mode, lab, options) });
  }

  const [ours, fixed, naive] = series as [LagSeries, LagSeries, LagSeries];
  const cell = (p: LagPoint): string[] => [
    `${fmt(percentile(p.lags, 50))} / ${fmt(percentile(p.lags, 95))}`,
    `${fmt(mean(p.attempts), 1)} / ${fmt(max(p.attempts))}`,
    `${fmt((100 * p.flagged) / p.lags.length)} %`,
  ];
  const rows = options.delays.map((delay, i) => [
    delay >= 1000 ? `${delay / 1000} s` : `${delay} ms`,
    ...cell(ours.points[i] as LagPoint),
    ...cell(fixed.points[i] as LagPoint),
    ...cell(naive.points[i] as LagPoint),
  ]);
  const lines = [
    ...table(
      [
        'resolve delay',
        'ours lag p50 / p95 (ms)',
        'ours attempts mean / max',
        'ours flagged',
        'fixed delay lag p50 / p95',
        'fixed attempts',
        'fixed flagged',
        'SDK + loop lag p50 / p95',
        'SDK + loop attempts',
        'SDK + loop flagged',
      ],
      rows,
    ),
    '',
    `${options.runs} runs per delay and approach; delays jittered ±${Math.round(options.jitter * 100)} %; deadline 8 s for ours and the loop. Lag "never": that percentile did not flag.`,
  ];

  const worstP95 = Math.max(...ours.points.map((p) => percentile(p.lags, 95)));
  const worstAt = ours.points.find((p) => percentile(p.lags, 95) === worstP95)?.delay ?? 0;
  const maxAttempts = Math.max(...ours.points.map((p) => max(p.attempts)));
  const allAttempts = ours.points.flatMap((p) => p.attempts);
  const over = allAttempts.filter((a) => a > 12).length;
  const beyond = options.delays.map((d, i) => ({ d, i })).filter(({ d }) => d > options.fixedDelayMs);
  const oursBeyond = beyond.map(({ i }) => ours.points[i] as LagPoint);
  const fixedBeyond = beyond.map(({ i }) => fixed.points[i] as LagPoint);
  const share = (points: LagPoint[]): number => (100 * points.reduce((a, p) => a + p.flagged, 0)) / Math.max(1, points.reduce((a, p) => a + p.lags.length, 0));
  return {
    series,
    section: {
      title: '3. Time to flag after the participant resolves',
      lines,
      targets: [
        { part: '3', name: 'p95 lag at every delay', target: '≤ 600 ms', measured: `worst ${fmt(worstP95)} ms (at ${worstAt} ms)`, met: worstP95 <= 600 },
        { part: '3', name: 'attempts per flag', target: '≤ 12', measured: `max ${fmt(maxAttempts)}; ${over} of ${allAttempts.length} flags over 12 (mean at the longest delay ${fmt(mean(ours.points.at(-1)?.attempts ?? []), 1)})`, met: maxAttempts <= 12 },
        {
          part: '3',
          name: `flagged where the fixed delay fails (delay > ${options.fixedDelayMs} ms)`,
          target: '100 %',
          measured: beyond.length ? `${fmt(share(oursBeyond), 1)} % (fixed delay: ${fmt(share(fixedBeyond), 1)} %)` : 'no such delay in this run',
          met: beyond.length > 0 && share(oursBeyond) === 100,
        },
      ],
    },
  };
}

async function runApproach(bundle: string, mode: Mode, lab: Lab, options: LagOptions): Promise<LagPoint[]> {
  const container = await Container.start(bundle, lab.env(), { timeoutMs: 10_000 });
  const flaggedAt = new Map<string, number>();
  const attempts = new Map<string, number>();
  const unwatch = lab.watch((r, at) => {
    if (!r.conversationId || (r.route !== 'patch-attributes' && r.route !== 'get-conversation')) return;
    attempts.set(r.conversationId, (attempts.get(r.conversationId) ?? 0) + 1);
    if (r.route === 'patch-attributes' && r.status >= 200 && r.status < 300 && !flaggedAt.has(r.conversationId)) flaggedAt.set(r.conversationId, at);
  });
  try {
    const warm = await container.flag(flagEvent(lab.conversation(0)), 'plain');
    if (warm.result.status !== 'UPDATED') throw new Error(`warm-up flag ended ${warm.result.status}`);

    const plan = shuffle(options.delays.flatMap((delay, index) => Array.from({ length: options.runs }, () => ({ delay, index }))));
    const spacingMs = 20;
    const runs = plan.map(
      ({ delay, index }, order) =>
        new Promise<{ index: number; lag: number; attempts: number }>((resolve, reject) => {
          setTimeout(() => {
            const actual = Math.max(0, Math.round(delay * (1 + options.jitter * (2 * Math.random() - 1))));
            const ids = lab.conversation(actual);
            const resolvedAt = ids.createdAt + actual;
            container.flag(flagEvent(ids), mode).then(() => {
              const at = flaggedAt.get(ids.conversationId);
              resolve({ index, lag: at === undefined ? Number.POSITIVE_INFINITY : Math.max(0, at - resolvedAt), attempts: attempts.get(ids.conversationId) ?? 0 });
            }, reject);
          }, order * spacingMs);
        }),
    );
    const done = await Promise.all(runs);
    return options.delays.map((delay, index) => {
      const mine = done.filter((d) => d.index === index);
      return { delay, lags: mine.map((d) => d.lag), attempts: mine.map((d) => d.attempts), flagged: mine.filter((d) => Number.isFinite(d.lag)).length };
    });
  } finally {
    unwatch();
    await container.close();
  }
}
