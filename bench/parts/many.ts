/** Part 4, many at once: (i) an SQS batch through the events function; (ii) a fleet under a per-token rate limit. */
import { randomUUID } from 'node:crypto';
import { flagEvent, log, sleep, startContainer, startProxy, type Bundles, type Container, type Lab, type Mode, type Options } from '../lib/lab';
import { fmt, median, sum, table, type Section } from '../lib/stats';

/** "About the slowest record": a batch's wall time within this factor of its slowest record. */
const ABOUT = 1.25;

/**
 * dist/functions/events.mjs in a warm container with serverless.yml's settings for it gets batches
 * of 10 records whose participants resolve after random delays of up to 2 s. A batch that flags
 * its records concurrently costs about its slowest record; one that works through them in turn
 * costs about the sum (each record's elapsedMs is read from its log line).
 */
export async function measureBatch(bundles: Bundles, lab: Lab, o: Options): Promise<Section> {
  const container = await startContainer(bundles.events, lab.env({ FLAG_DEADLINE_MS: '20000', BATCH_CONCURRENCY: '10', AWS_LAMBDA_FUNCTION_NAME: 'bench-events' }), 60_000);
  const sqs = (delays: number[]): unknown => ({
    Records: delays.map((delay) => {
      const { conversationId, participantId } = lab.conversation(delay);
      const body = JSON.stringify({ conversationId, participantId, attributes: { compliance_checked: 'true' } });
      return { messageId: randomUUID(), receiptHandle: 'bench', body, attributes: {}, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:bench', awsRegion: 'us-east-1' };
    }),
  });
  try {
    log(`  ${o.batches} batches of 10 records`);
    await container.batch(sqs([0]));
    const [rows, ratios]: [(string | number)[][], number[]] = [[], []];
    let failed = 0;
    for (let b = 1; b <= o.batches; b += 1) {
      const { failures, wallMs, lines } = await container.batch(sqs(Array.from({ length: 10 }, () => Math.round(Math.random() * 2000))));
      const elapsed = lines.map((line) => JSON.parse(line) as { messageId?: string; elapsedMs?: number }).flatMap((l) => (l.messageId && typeof l.elapsedMs === 'number' ? [l.elapsedMs] : []));
      if (!elapsed.length) throw new Error('the events function logged no per-record line with messageId and elapsedMs');
      const [slowest, all] = [Math.max(...elapsed), sum(elapsed)];
      failed += failures;
      ratios.push(wallMs / slowest);
      rows.push([b, `${10 - failures}/10`, fmt(wallMs), fmt(slowest), fmt(all), (wallMs / slowest).toFixed(2), (wallMs / all).toFixed(2)]);
    }
    return {
      title: '4 (i). An SQS batch of 10 records',
      lines: [
        ...table(['batch', 'flagged', 'batch wall (ms)', 'slowest record (ms)', 'sum of records (ms)', 'wall / slowest', 'wall / sum'], rows),
        '',
        `Records' participants resolve after uniform random 0..2000 ms; BATCH_CONCURRENCY 10 as in serverless.yml. "About the slowest" is judged as a median wall / slowest of at most ${ABOUT}.`,
      ],
      targets: [{ part: '4', name: 'a batch of 10 costs about the slowest record', target: `wall ≤ ${ABOUT}x slowest, all flagged`, measured: `median ${median(ratios).toFixed(2)}x slowest; ${failed} records not flagged`, met: median(ratios) <= ABOUT && failed === 0 }],
    };
  } finally {
    await container.close();
  }
}

const WORKERS = 8;
const LIMIT = { perWindow: 5, windowMs: 1000 }; // 300 a minute per token

/**
 * 8 containers (each with its own token, as in Lambda) flag participants one after the other
 * through a proxy that plays Genesys's per-token rate limit (startProxy). Requests per flag count
 * everything that reached the proxy: PATCHes, 429 answers, token requests. Run for ours and for
 * the SDK in its 1 s retry loop (the SDK itself does not retry a 429).
 */
export async function measureFleet(bundles: Bundles, lab: Lab, o: Options): Promise<Section> {
  log(`  ours, then SDK + 1 s loop: ${WORKERS} workers x ${o.fleetFlags} flags, ${LIMIT.perWindow} requests per token per ${LIMIT.windowMs} ms`);
  const [ours, naive] = [await fleet(bundles.ours.file, 'plain', lab, o), await fleet(bundles.anchor.file, 'naive-retry', lab, o)];
  const perFlag = (r: typeof ours): number => r.requests / r.total;
  const wallRatio = (r: typeof ours): number => r.wallMs / r.idealMs;
  const row = (name: string, f: (r: typeof ours) => string): string[] => [name, f(ours), f(naive)];
  return {
    title: '4 (ii). A fleet of 8 containers under a per-token rate limit',
    lines: [
      ...table(['', 'ours', 'SDK + 1 s retry loop'], [
        row('flagged', (r) => `${r.flagged}/${r.total}`),
        row('requests per flag (incl. 429s and token requests)', (r) => fmt(perFlag(r), 3)),
        row('429 answers', (r) => String(r.throttled)),
        row('token requests / secret reads / bearer tokens seen', (r) => `${r.tokens} / ${r.secretReads} / ${r.bearerTokens}`),
        row('wall time', (r) => `${fmt(r.wallMs / 1000, 2)} s`),
        row('ideal (flags / allowed rate)', (r) => `${fmt(r.idealMs / 1000, 2)} s`),
        row('wall / ideal', (r) => `${wallRatio(r).toFixed(2)}x`),
      ]),
      '',
      `Rate limit: a sliding window of ${LIMIT.windowMs} ms allowing ${LIMIT.perWindow} requests per bearer token (${(LIMIT.perWindow * 60_000) / LIMIT.windowMs} a minute); over it, 429 with Retry-After in whole seconds. Token requests are not limited. ` +
        `Token requests and secret reads count the whole life of the fleet, warm-up included; bearer tokens are those seen while flagging. Injected latency (Genesys): ${o.latencyMs} ms per request, 429s included.`,
    ],
    targets: [
      { part: '4', name: 'fleet: all flagged', target: `${ours.total}/${ours.total}`, measured: `${ours.flagged}/${ours.total}`, met: ours.flagged === ours.total },
      { part: '4', name: 'fleet: requests per flag', target: '≤ 1.2', measured: `${fmt(perFlag(ours), 3)} (${ours.throttled} 429s; SDK loop ${fmt(perFlag(naive), 3)})`, met: perFlag(ours) <= 1.2 },
      { part: '4', name: 'fleet: wall vs ideal', target: '≤ 1.3x', measured: `${wallRatio(ours).toFixed(2)}x (${fmt(ours.wallMs / 1000, 1)} s vs ${fmt(ours.idealMs / 1000, 1)} s)`, met: wallRatio(ours) <= 1.3 },
      { part: '4', name: 'fleet: one token and one secret per worker', target: `${WORKERS} / ${WORKERS}`, measured: `${ours.tokens} tokens, ${ours.secretReads} secret reads`, met: ours.tokens === WORKERS && ours.secretReads === WORKERS },
    ],
  };
}

async function fleet(file: string, mode: Mode, lab: Lab, o: Options) {
  const proxy = await startProxy(lab.genesys.url, { ...LIMIT, rejectDelayMs: o.latencyMs }); // a refused request still costs the round trip
  const containers: Container[] = [];
  try {
    const [tokens, secrets] = [lab.genesys.received('token'), lab.secrets.count('GetSecretValue')];
    const started = await Promise.allSettled(Array.from({ length: WORKERS }, () => startContainer(file, lab.env({}, proxy.url))));
    for (const s of started) if (s.status === 'fulfilled') containers.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    // One flag each to get warm, then the limiter's window is let pass.
    for (const r of await Promise.all(containers.map((c) => c.flag(flagEvent(lab.conversation()), mode)))) if (r.status !== 'UPDATED') throw new Error(`fleet warm-up ended ${r.status}`);
    await sleep(LIMIT.windowMs + 50);
    const work = containers.map(() => Array.from({ length: o.fleetFlags }, () => flagEvent(lab.conversation())));
    proxy.reset();
    const begin = Date.now();
    const replies = await Promise.all(containers.map((c, i) => c.sequence(work[i] as unknown[], mode)));
    const [wallMs, total] = [Date.now() - begin, WORKERS * o.fleetFlags];
    return {
      flagged: sum(replies.map((r) => r.statuses.UPDATED ?? 0)), total, wallMs, idealMs: (total / (WORKERS * LIMIT.perWindow)) * LIMIT.windowMs,
      requests: proxy.stats.forwarded + proxy.stats.throttled, throttled: proxy.stats.throttled, bearerTokens: proxy.stats.tokens.size,
      tokens: lab.genesys.received('token') - tokens, secretReads: lab.secrets.count('GetSecretValue') - secrets,
    };
  } finally {
    await Promise.all(containers.map((c) => c.close()));
    await proxy.close();
  }
}
