/**
 * Part 4 (ii), a fleet under Genesys's per-token rate limit. `workers` containers (separate
 * processes, each with its own token as in Lambda) flag `flags` participants each, one after the
 * other, through a loopback proxy that enforces a per-token limit with 429 + Retry-After
 * (bench/lib/proxy.ts). Each container is warmed by one flag first, then the limiter window is
 * let pass. Reported: all flagged, requests per flag (everything that reached the proxy: PATCHes,
 * 429 answers, token requests), 429s, tokens and secret reads per worker, and wall time against
 * the ideal: flags / (workers x the per-token rate).
 *
 * Run for ours and, side by side, for the SDK anchor in its naive 1 s retry loop (the SDK itself
 * does not retry a 429).
 */
import type { Bundles } from '../lib/build';
import { Container, type Mode } from '../lib/container';
import { flagEvent, type Lab } from '../lib/lab';
import { ForwardingProxy, type RateLimit } from '../lib/proxy';
import { table, type Section } from '../lib/report';
import { fmt } from '../lib/stats';

export interface FleetOptions {
  workers: number;
  flags: number;
  limit: RateLimit;
  latencyMs: number;
}

interface FleetRun {
  flagged: number;
  total: number;
  requests: number;
  throttled: number;
  tokens: number;
  secretReads: number;
  bearerTokens: number;
  wallMs: number;
  idealMs: number;
}

export async function measureFleet(bundles: Bundles, lab: Lab, options: FleetOptions, log: (line: string) => void): Promise<Section> {
  log(`  ours: ${options.workers} workers x ${options.flags} flags, ${options.limit.perWindow} requests per token per ${options.limit.windowMs} ms`);
  const ours = await runFleet(bundles.ours.file, 'plain', lab, options);
  log(`  SDK + 1 s loop: ${options.workers} workers x ${options.flags} flags`);
  const naive = await runFleet(bundles.anchor.file, 'naive-retry', lab, options);

  const perFlag = (r: FleetRun): number => r.requests / r.total;
  const wallRatio = (r: FleetRun): number => r.wallMs / r.idealMs;
  const lines = [
    ...table(
      ['', 'ours', 'SDK + 1 s retry loop'],
      [
        ['flagged', `${ours.flagged}/${ours.total}`, `${naive.flagged}/${naive.total}`],
        ['requests per flag (incl. 429s and token requests)', fmt(perFlag(ours), 3), fmt(perFlag(naive), 3)],
        ['429 answers', String(ours.throttled), String(naive.throttled)],
        ['token requests / secret reads / bearer tokens seen', `${ours.tokens} / ${ours.secretReads} / ${ours.bearerTokens}`, `${naive.tokens} / ${naive.secretReads} / ${naive.bearerTokens}`],
        ['wall time', `${fmt(ours.wallMs / 1000, 2)} s`, `${fmt(naive.wallMs / 1000, 2)} s`],
        ['ideal (flags / allowed rate)', `${fmt(ours.idealMs / 1000, 2)} s`, `${fmt(naive.idealMs / 1000, 2)} s`],
        ['wall / ideal', `${wallRatio(ours).toFixed(2)}x`, `${wallRatio(naive).toFixed(2)}x`],
      ],
    ),
    '',
    `Rate limit: a sliding window of ${options.limit.windowMs} ms allowing ${options.limit.perWindow} requests per bearer token (${fmt((options.limit.perWindow * 60_000) / options.limit.windowMs)} a minute); ` +
      `over it, 429 with Retry-After in whole seconds. Token requests are not limited. Token requests and secret reads count the whole life of the fleet, warm-up included; bearer tokens are those seen while flagging. Injected latency (Genesys): ${options.latencyMs} ms per request, 429s included.`,
  ];
  const perWorker = (n: number): boolean => n === options.workers;
  return {
    title: '4 (ii). A fleet of 8 containers under a per-token rate limit',
    lines,
    targets: [
      { part: '4', name: 'fleet: all flagged', target: `${ours.total}/${ours.total}`, measured: `${ours.flagged}/${ours.total}`, met: ours.flagged === ours.total },
      { part: '4', name: 'fleet: requests per flag', target: '≤ 1.2', measured: `${fmt(perFlag(ours), 3)} (${ours.throttled} 429s; SDK loop ${fmt(perFlag(naive), 3)})`, met: perFlag(ours) <= 1.2 },
      { part: '4', name: 'fleet: wall vs ideal', target: '≤ 1.3x', measured: `${wallRatio(ours).toFixed(2)}x (${fmt(ours.wallMs / 1000, 1)} s vs ${fmt(ours.idealMs / 1000, 1)} s)`, met: wallRatio(ours) <= 1.3 },
      {
        part: '4',
        name: 'fleet: one token and one secret per worker',
        target: `${options.workers} / ${options.workers}`,
        measured: `${ours.tokens} tokens, ${ours.secretReads} secret reads`,
        met: perWorker(ours.tokens) && perWorker(ours.secretReads),
      },
    ],
  };
}

async function runFleet(bundle: string, mode: Mode, lab: Lab, options: FleetOptions): Promise<FleetRun> {
  const proxy = await ForwardingProxy.start(lab.genesys.url, { limit: options.limit, rejectDelayMs: options.latencyMs });
  const containers: Container[] = [];
  try {
    const tokensBefore = lab.genesys.received('token');
    const secretsBefore = lab.secrets.count('GetSecretValue');
    const env = lab.env({}, proxy.url);
    const started = await Promise.allSettled(Array.from({ length: options.workers }, () => Container.start(bundle, env)));
    for (const s of started) if (s.status === 'fulfilled') containers.push(s.value);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    await Promise.all(containers.map(async (c) => {
      const r = await c.flag(flagEvent(lab.conversation(0)), mode);
      if (r.result.status !== 'UPDATED') throw new Error(`fleet warm-up ended ${r.result.status}`);
    }));
    await new Promise((resolve) => setTimeout(resolve, options.limit.windowMs + 50));
    const work = containers.map(() => Array.from({ length: options.flags }, () => flagEvent(lab.conversation(0))));
    proxy.resetCounts();
    const begin = Date.now();
    const replies = await Promise.all(containers.map((c, i) => c.sequence(work[i] as unknown[], { mode })));
    const wallMs = Date.now() - begin;
    const total = options.workers * options.flags;
    return {
      flagged: replies.reduce((a, r) => a + (r.statuses.UPDATED ?? 0), 0),
      total,
      requests: proxy.forwarded + proxy.throttled,
      throttled: proxy.throttled,
      tokens: lab.genesys.received('token') - tokensBefore,
      secretReads: lab.secrets.count('GetSecretValue') - secretsBefore,
      bearerTokens: proxy.byToken.size,
      wallMs,
      idealMs: (total / (options.workers * options.limit.perWindow)) * options.limit.windowMs,
    };
  } finally {
    await Promise.all(containers.map((c) => c.close()));
    await proxy.close();
  }
}
