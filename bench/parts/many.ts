/** Part 4, many at once: (i) an SQS batch through the events function; (ii) a fleet under a per-token rate limit. */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { flagEvent, startContainer, startProxy, type Bundles, type Lab, type Mode, type Options } from '../lib/lab';
import { fmt, median, prose, sum, table, type Section } from '../lib/stats';

/** "About the slowest record": a batch's wall time within this factor of its slowest record. */
const ABOUT = 1.25;
const SQS = { receiptHandle: 'bench', md5OfBody: '', eventSource: 'aws:sqs', awsRegion: 'us-east-1' };

/**
 * A warm events container with serverless.yml's settings gets batches of 10 records whose participants resolve
 * after up to 2 s. Flagged concurrently, a batch costs about its slowest record (elapsedMs from its log line).
 */
export async function measureBatch(bundles: Bundles, lab: Lab, o: Options): Promise<Section> {
  const env = lab.env({ FLAG_DEADLINE_MS: '20000', BATCH_CONCURRENCY: '10', AWS_LAMBDA_FUNCTION_NAME: 'bench-events' });
  const container = await startContainer(bundles.events, env, 60_000);
  const batch = (delays: number[]) =>
    container.batch({
      Records: delays.map((delay) => {
        const { conversationId, participantId } = lab.conversation(delay);
        const body = JSON.stringify({ conversationId, participantId, attributes: { compliance_checked: 'true' } });
        const eventSourceARN = 'arn:aws:sqs:us-east-1:123456789012:bench';
        return { messageId: randomUUID(), body, attributes: {}, messageAttributes: {}, eventSourceARN, ...SQS };
      }),
    });
  await batch([0]);
  const [rows, ratios]: [(string | number)[][], number[]] = [[], []];
  let failed = 0;
  for (let b = 1; b <= o.batches; b += 1) {
    const { failures, wallMs, lines } = await batch(Array.from({ length: 10 }, () => Math.round(Math.random() * 2000)));
    const logged = lines.map((line) => JSON.parse(line) as { messageId?: string; elapsedMs?: number });
    const elapsed = logged.flatMap((l) => (l.messageId && typeof l.elapsedMs === 'number' ? [l.elapsedMs] : []));
    if (!elapsed.length) throw new Error('the events function logged no per-record line with messageId and elapsedMs');
    const [slowest, all] = [Math.max(...elapsed), sum(elapsed)];
    failed += failures;
    ratios.push(wallMs / slowest);
    const per = (v: number): string => (wallMs / v).toFixed(2);
    rows.push([b, `${10 - failures}/10`, fmt(wallMs), fmt(slowest), fmt(all), per(slowest), per(all)]);
  }
  await container.close();
  const header = ['batch', 'flagged', 'batch wall (ms)', 'slowest record (ms)', 'sum of records (ms)'];
  return {
    title: '4 (i). An SQS batch of 10 records',
    lines: [
      ...table([...header, 'wall / slowest', 'wall / sum'], rows),
      '',
      prose(`Records' participants resolve after uniform random 0..2000 ms; BATCH_CONCURRENCY 10 as in serverless.yml.
        "About the slowest" is judged as a median wall / slowest of at most ${ABOUT}.`),
    ],
    targets: [[
      'a batch of 10 costs about the slowest record',
      `wall ≤ ${ABOUT}x slowest, all flagged`,
      `median ${median(ratios).toFixed(2)}x slowest; ${failed} records not flagged`,
      median(ratios) <= ABOUT && failed === 0,
    ]],
  };
}

const WORKERS = 8;
const LIMIT = { perWindow: 5, windowMs: 1000 }; // 300 a minute per token

/**
 * 8 containers (each with its own token, as in Lambda) flag participants one after the other through a proxy
 * playing Genesys's per-token rate limit; requests per flag count all that reached it (PATCHes, 429s, tokens).
 * Ours, then the SDK in its 1 s retry loop (the SDK itself does not retry a 429).
 */
export async function measureFleet(bundles: Bundles, lab: Lab, o: Options): Promise<Section> {
  const ours = await fleet(bundles.ours.file, 'plain', lab, o);
  const naive = await fleet(bundles.anchor.file, 'naive-retry', lab, o);
  type Fleet = typeof ours;
  const perFlag = (r: Fleet): number => r.requests / r.total;
  const wallRatio = (r: Fleet): number => r.wallMs / r.idealMs;
  const row = (name: string, f: (r: Fleet) => string): string[] => [name, f(ours), f(naive)];
  const seconds = (ms: number, digits: number): string => `${fmt(ms / 1000, digits)} s`;
  return {
    title: '4 (ii). A fleet of 8 containers under a per-token rate limit',
    lines: [
      ...table(['', 'ours', 'SDK + 1 s retry loop'], [
        row('flagged', (r) => `${r.flagged}/${r.total}`),
        row('requests per flag (incl. 429s and token requests)', (r) => fmt(perFlag(r), 3)),
        row('429 answers', (r) => `${r.throttled}`),
        row('token requests / secret reads / bearer tokens seen', (r) => [r.tokens, r.secretReads, r.bearers].join(' / ')),
        row('wall time', (r) => seconds(r.wallMs, 2)),
        row('ideal (flags / allowed rate)', (r) => seconds(r.idealMs, 2)),
        row('wall / ideal', (r) => `${wallRatio(r).toFixed(2)}x`),
      ]),
      '',
      prose(`Rate limit: a sliding window of ${LIMIT.windowMs} ms allowing ${LIMIT.perWindow} requests per bearer token
        (${(LIMIT.perWindow * 60_000) / LIMIT.windowMs} a minute); over it, 429 with Retry-After in whole seconds. Token
        requests are not limited. Token requests and secret reads count the whole life of the fleet, warm-up included;
        bearer tokens are those seen while flagging. Injected latency (Genesys): ${o.latencyMs} ms per request, 429s
        included.`),
    ],
    targets: [
      ['fleet: all flagged', `${ours.total}/${ours.total}`, `${ours.flagged}/${ours.total}`, ours.total === ours.flagged],
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
  const env = lab.env({}, proxy.url);
  const containers = await Promise.all(Array.from({ length: WORKERS }, () => startContainer(file, env)));
  // One flag each to get warm, then the limiter's window is let pass.
  const warm = await Promise.all(containers.map((c) => c.flag(flagEvent(lab.conversation()), mode)));
  if (warm.some((r) => r.status !== 'UPDATED')) throw new Error(`fleet warm-up ended ${warm.map((r) => r.status)}`);
  await sleep(LIMIT.windowMs + 50);
  const work = containers.map(() => Array.from({ length: o.fleetFlags }, () => flagEvent(lab.conversation())));
  proxy.reset();
  const begin = Date.now();
  const replies = await Promise.all(containers.map((c, i) => c.sequence(work[i] as unknown[], mode)));
  const [wallMs, total, { forwarded, throttled }] = [Date.now() - begin, WORKERS * o.fleetFlags, proxy.stats];
  await Promise.all(containers.map((c) => c.close()));
  await proxy.close();
  return {
    flagged: sum(replies.map((r) => r.statuses.UPDATED ?? 0)), total, wallMs, throttled,
    requests: forwarded + throttled,
    idealMs: (total / (WORKERS * LIMIT.perWindow)) * LIMIT.windowMs, bearers: proxy.stats.tokens.size,
    tokens: lab.genesys.received('token') - tokens, secretReads: lab.secrets.count('GetSecretValue') - secrets,
  };
}
