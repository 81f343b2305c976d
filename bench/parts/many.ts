/** Part 4, many at once: (i) an SQS batch through the events function; (ii) a rate-limited fleet. */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { firstFlag, startContainer, startProxy, type Bundles, type Lab, type Mode, type Options } from '../lib/lab';
import { fmt, median, prose, sum, table, type Section } from '../lib/stats';

/** "About the slowest record": a batch's wall time within this factor of its slowest record. */
const ABOUT = 1.25;
const SQS = {
  receiptHandle: 'bench', attributes: {}, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:bench', awsRegion: 'us-east-1',
};

/** SQS batches of 10 records in a warm events container; each record's elapsedMs from its log line. */
export async function measureBatch(bundles: Bundles, lab: Lab, o: Options): Promise<Section> {
  const env = lab.env({ FLAG_DEADLINE_MS: '20000', BATCH_CONCURRENCY: '10', AWS_LAMBDA_FUNCTION_NAME: 'bench-events' });
  const container = await startContainer(bundles.events, env, 60_000);
  const batch = (n: number, delay: () => number) =>
    container.batch({ Records: Array.from({ length: n }, () => {
      const { conversationId, participantId } = lab.conversation(delay());
      const body = JSON.stringify({ conversationId, participantId, attributes: { compliance_checked: 'true' } });
      return { messageId: randomUUID(), body, ...SQS };
    }) });
  await batch(1, () => 0);
  const batches = [];
  for (let b = 0; b < o.batches; b += 1) {
    const { failures, wallMs, lines } = await batch(10, () => Math.round(Math.random() * 2000));
    const logged = lines.map((line) => JSON.parse(line) as { messageId?: string; elapsedMs?: number });
    const elapsed = logged.flatMap((l) => (l.messageId && typeof l.elapsedMs === 'number' ? [l.elapsedMs] : []));
    if (!elapsed.length) throw new Error('the events function logged no per-record line with messageId and elapsedMs');
    batches.push({ failures, wallMs, slowest: Math.max(...elapsed), all: sum(elapsed) });
  }
  await container.close();
  const [ratio, failed] = [median(batches.map((b) => b.wallMs / b.slowest)), sum(batches.map((b) => b.failures))];
  const rows = batches.map(({ failures, wallMs, slowest, all }, i) => [i + 1, `${10 - failures}/10`, fmt(wallMs),
    fmt(slowest), fmt(all), fmt(wallMs / slowest, 2), fmt(wallMs / all, 2)]);
  const header = ['batch', 'flagged', 'batch wall (ms)', 'slowest record (ms)', 'sum of records (ms)'];
  return {
    title: '4 (i). An SQS batch of 10 records',
    lines: [
      ...table([...header, 'wall / slowest', 'wall / sum'], rows),
      ...prose(`Records' participants resolve after uniform random 0..2000 ms; BATCH_CONCURRENCY 10 as in
        serverless.yml. "About the slowest" is judged as a median wall / slowest of at most ${ABOUT}.`),
    ],
    targets: [[
      'a batch of 10 costs about the slowest record',
      `wall ≤ ${ABOUT}x slowest, all flagged`,
      `median ${ratio.toFixed(2)}x slowest; ${failed} records not flagged`,
      ratio <= ABOUT && failed === 0,
    ]],
  };
}

const WORKERS = 8;
const LIMIT = { perWindow: 5, windowMs: 1000 }; // 300 a minute per token

/** 8 containers flag one after the other through a proxy playing Genesys's per-token rate limit. */
export async function measureFleet(bundles: Bundles, lab: Lab, o: Options): Promise<Section> {
  const ours = await fleet(bundles.ours.file, 'plain', lab, o);
  const naive = await fleet(bundles.anchor.file, 'naive-retry', lab, o);
  type Fleet = typeof ours;
  const perFlag = (r: Fleet) => r.requests / r.total;
  const wallRatio = (r: Fleet) => r.wallMs / r.idealMs;
  const row = (name: string, f: (r: Fleet) => string) => [name, f(ours), f(naive)];
  const seconds = (ms: number, digits = 2) => `${fmt(ms / 1000, digits)} s`;
  return {
    title: '4 (ii). A fleet of 8 containers under a per-token rate limit',
    lines: [
      ...table(['', 'ours', 'SDK + 1 s retry loop'], [
        row('flagged', (r) => `${r.flagged}/${r.total}`),
        row('requests per flag (incl. 429s and token requests)', (r) => fmt(perFlag(r), 3)),
        row('429 answers', (r) => `${r.throttled}`),
        row('token requests / secret reads / bearer tokens seen', (r) =>
          `${r.tokens} / ${r.secretReads} / ${r.bearers}`),
        row('wall time', (r) => seconds(r.wallMs)),
        row('ideal (flags / allowed rate)', (r) => seconds(r.idealMs)),
        row('wall / ideal', (r) => `${wallRatio(r).toFixed(2)}x`),
      ]),
      ...prose(`Rate limit: a sliding window of ${LIMIT.windowMs} ms allowing ${LIMIT.perWindow} requests per bearer
        token (${(LIMIT.perWindow * 60_000) / LIMIT.windowMs} a minute); over it, 429 with Retry-After in whole seconds.
        Token requests are not limited. Token requests and secret reads count the whole life of the fleet, warm-up
        included; bearer tokens are those seen while flagging. Injected latency (Genesys): ${o.latencyMs} ms per
        request, 429s included.`),
    ],
    targets: [
      ['fleet: all flagged', `${ours.total}/${ours.total}`, `${ours.flagged}/${ours.total}`,
        ours.total === ours.flagged],
      ['fleet: requests per flag', '≤ 1.2', `${fmt(perFlag(ours), 3)} (${ours.throttled} 429s; SDK loop ` +
        `${fmt(perFlag(naive), 3)})`, perFlag(ours) <= 1.2],
      ['fleet: wall vs ideal', '≤ 1.3x', `${wallRatio(ours).toFixed(2)}x (${seconds(ours.wallMs, 1)} vs ` +
        `${seconds(ours.idealMs, 1)})`, wallRatio(ours) <= 1.3],
      ['fleet: one token and one secret per worker', `${WORKERS} / ${WORKERS}`, `${ours.tokens} tokens, ` +
        `${ours.secretReads} secret reads`, ours.tokens === WORKERS && ours.secretReads === WORKERS],
    ],
  };
}

async function fleet(file: string, mode: Mode, lab: Lab, o: Options) {
  const proxy = await startProxy(lab.genesys.url, { ...LIMIT, rejectDelayMs: o.latencyMs }); // a 429 costs a round trip
  const [tokens, secrets] = [lab.genesys.received('token'), lab.secrets.count('GetSecretValue')];
  // One flag each to get warm, then the limiter's window is let pass.
  const env = lab.env({}, proxy.url);
  const warm = await Promise.all(Array.from({ length: WORKERS }, () => firstFlag(lab, file, env, mode)));
  await sleep(LIMIT.windowMs + 50);
  const work = warm.map(() => Array.from({ length: o.fleetFlags }, () => lab.conversation().event));
  proxy.reset();
  const begin = Date.now();
  const replies = await Promise.all(warm.map(({ container }, i) => container.sequence(work[i] as unknown[], mode)));
  const [wallMs, total, { forwarded, throttled }] = [Date.now() - begin, WORKERS * o.fleetFlags, proxy.stats];
  await Promise.all(warm.map(({ container }) => container.close()));
  await proxy.close();
  return {
    flagged: replies.flatMap((r) => r.statuses).filter((s) => s === 'UPDATED').length, total, wallMs, throttled,
    requests: forwarded + throttled,
    idealMs: (total / (WORKERS * LIMIT.perWindow)) * LIMIT.windowMs, bearers: proxy.stats.tokens.size,
    tokens: lab.genesys.received('token') - tokens, secretReads: lab.secrets.count('GetSecretValue') - secrets,
  };
}
