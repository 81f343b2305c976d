/** Part 4, many at once: (i) an SQS batch through the events function; (ii) a rate-limited fleet. */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  firstFlag,
  ROOT,
  startContainer,
  startProxy,
  type Bundles,
  type Lab,
  type Mode,
  type Options,
} from '../lib/lab';
import { parse } from 'yaml';
import { sqsRecord } from '../../test/support/sqs';
import { fmt, median, prose, sum, table, type Section } from '../lib/stats';

/** "About the slowest record": a batch's wall time within this factor of its slowest record. */
const ABOUT = 1.25;

/** SQS batches of 10 records in a warm events container; each record's elapsedMs from its log line. */
export async function measureBatch(bundles: Bundles, lab: Lab, o: Options): Promise<Section> {
  // The events function's deadline and concurrency as serverless.yml sets them.
  const stack = parse(readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8')) as {
    functions: { events: { environment: { FLAG_DEADLINE_MS: string; BATCH_CONCURRENCY: string } } };
  };
  const { FLAG_DEADLINE_MS, BATCH_CONCURRENCY } = stack.functions.events.environment;
  const env = lab.env({ FLAG_DEADLINE_MS, BATCH_CONCURRENCY, AWS_LAMBDA_FUNCTION_NAME: 'bench-events' });
  const container = await startContainer(bundles.events, env, 60_000);
  const batch = (n: number, delay: () => number) =>
    container.batch({
      Records: Array.from({ length: n }, () => {
        const { conversationId, participantId } = lab.conversation(delay());
        const body = JSON.stringify({ conversationId, participantId, attributes: { compliance_checked: 'true' } });
        return sqsRecord(randomUUID(), body);
      }),
    });
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
  const rows = batches.map(({ failures, wallMs, slowest, all }, i) => [
    i + 1,
    `${10 - failures}/10`,
    fmt(wallMs),
    fmt(slowest),
    fmt(all),
    fmt(wallMs / slowest, 2),
    fmt(wallMs / all, 2),
  ]);
  const header = ['batch', 'flagged', 'batch wall (ms)', 'slowest record (ms)', 'sum of records (ms)'];
  return {
    title: '4 (i). An SQS batch of 10 records',
    lines: [
      ...table([...header, 'wall / slowest', 'wall / sum'], rows),
      ...prose(`Records' participants resolve after uniform random 0..2000 ms; BATCH_CONCURRENCY 10 as in
        serverless.yml, unpaced as with tokenMode=false (in token mode serverless.yml paces a container's records
        at one every 5 s: the batch then takes about 45 s by design). "About the slowest" is judged as a median
        wall / slowest of at most ${ABOUT}.`),
    ],
    targets: [
      [
        'a batch of 10 costs about the slowest record',
        `wall ≤ ${ABOUT}x slowest, all flagged`,
        `median ${ratio.toFixed(2)}x slowest; ${failed} records not flagged`,
        ratio <= ABOUT && failed === 0,
      ],
    ],
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
      ...table(
        ['', 'ours', 'SDK + 1 s retry loop'],
        [
          row('flagged', (r) => `${r.flagged}/${r.total}`),
          row('requests per flag (incl. 429s and token requests)', (r) => fmt(perFlag(r), 3)),
          row('429 answers', (r) => `${r.throttled}`),
          row(
            'token requests / secret reads / bearer tokens seen',
            (r) => `${r.tokens} / ${r.secretReads} / ${r.bearers}`,
          ),
          row('wall time', (r) => seconds(r.wallMs)),
          row('ideal (flags / allowed rate)', (r) => seconds(r.idealMs)),
          row('wall / ideal', (r) => `${wallRatio(r).toFixed(2)}x`),
        ],
      ),
      ...prose(`Rate limit: a sliding window of ${LIMIT.windowMs} ms allowing ${LIMIT.perWindow} requests per bearer
        token (${(LIMIT.perWindow * 60_000) / LIMIT.windowMs} a minute); over it, 429 with Retry-After in whole seconds.
        Token requests are not limited. Token requests and secret reads count the whole life of the fleet, warm-up
        included; bearer tokens are those seen while flagging. Injected latency (Genesys): ${o.latencyMs} ms per
        request, 429s included.`),
    ],
    targets: [
      [
        'fleet: all flagged',
        `${ours.total}/${ours.total}`,
        `${ours.flagged}/${ours.total}`,
        ours.total === ours.flagged,
      ],
      [
        'fleet: requests per flag',
        '≤ 1.2',
        `${fmt(perFlag(ours), 3)} (${ours.throttled} 429s; SDK loop ` + `${fmt(perFlag(naive), 3)})`,
        perFlag(ours) <= 1.2,
      ],
      [
        'fleet: wall vs ideal',
        '≤ 1.3x',
        `${wallRatio(ours).toFixed(2)}x (${seconds(ours.wallMs, 1)} vs ` + `${seconds(ours.idealMs, 1)})`,
        wallRatio(ours) <= 1.3,
      ],
      [
        'fleet: one token and one secret per worker',
        `${WORKERS} / ${WORKERS}`,
        `${ours.tokens} tokens, ` + `${ours.secretReads} secret reads`,
        ours.tokens === WORKERS && ours.secretReads === WORKERS,
      ],
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
    flagged: replies.flatMap((r) => r.statuses).filter((s) => s === 'UPDATED').length,
    total,
    wallMs,
    throttled,
    requests: forwarded + throttled,
    idealMs: (total / (WORKERS * LIMIT.perWindow)) * LIMIT.windowMs,
    bearers: proxy.stats.tokens.size,
    tokens: lab.genesys.received('token') - tokens,
    secretReads: lab.secrets.count('GetSecretValue') - secrets,
  };
}

/** The most entries of sorted `times` inside any window of `ms`. */
const busiestWindow = (times: number[], ms: number): number => {
  let [most, start] = [0, 0];
  times.forEach((t, end) => {
    while ((times[start] as number) <= t - ms) start += 1;
    most = Math.max(most, end - start + 1);
  });
  return most;
};

/**
 * 8 containers in token mode, reading one token from the token secret, through a proxy playing Genesys's limit of
 * 300 requests a minute per token (as 5 per sliding second, so no minute can go over). Calls arrive at a steady rate,
 * as a contact centre's do, each flagged by an idle container: (a) IVR flags, the participant there, at 270 a
 * minute; (b) flags at connect, the participant resolving 1 s after the call arrives, at 50 a minute.
 */
export async function measureSharedToken(bundles: Bundles, lab: Lab, o: Options): Promise<Section> {
  const proxy = await startProxy(lab.genesys.url, { ...LIMIT, rejectDelayMs: o.latencyMs });
  const env = lab.env({ GENESYS_TOKEN_SECRET_ID: lab.tokenSecret(), GENESYS_CREDENTIALS_SECRET_ID: '' }, proxy.url);
  const tokens = lab.genesys.received('token');
  const warm = await Promise.all(Array.from({ length: WORKERS }, () => firstFlag(lab, bundles.ours.file, env)));
  const idle = warm.map(({ container }) => container);
  /** Calls arriving every 60 000 / perMinute ms for `seconds`, each flagged by an idle container. */
  const run = async (perMinute: number, seconds: number, resolveAfterMs: number) => {
    await sleep(LIMIT.windowMs + 50);
    proxy.reset();
    const [begin, calls, gapMs] = [Date.now(), Math.round((perMinute * seconds) / 60), 60_000 / perMinute];
    const flags: Promise<string>[] = [];
    for (let i = 0; i < calls; i += 1) {
      await sleep(Math.max(0, begin + i * gapMs - Date.now()));
      const container = idle.pop();
      if (!container) throw new Error('all 8 containers busy: Lambda would start a ninth; raise WORKERS');
      const event = lab.conversation(resolveAfterMs).event;
      const flag = container.flag(event).then(({ status }) => {
        idle.push(container);
        return status ?? 'none';
      });
      flags.push(flag);
    }
    const statuses = await Promise.all(flags);
    const wallMs = Date.now() - begin;
    const { forwarded, throttled, forwardedAt } = proxy.stats;
    const flagged = statuses.filter((s) => s === 'UPDATED').length;
    const perFlag = (forwarded + throttled) / calls;
    return {
      perMinute,
      total: calls,
      flagged,
      wallMs,
      forwarded,
      throttled,
      perFlag,
      busiest: busiestWindow(forwardedAt, 60_000),
      bearers: proxy.stats.tokens.size,
    };
  };
  const ivr = await run(270, o.sharedSeconds, 0);
  const connect = await run(50, o.sharedSeconds, 1000);
  const minted = lab.genesys.received('token') - tokens;
  await Promise.all(warm.map(({ container }) => container.close()));
  await proxy.close();
  type Run = typeof ivr;
  const row = (name: string, f: (r: Run) => string) => [name, f(ivr), f(connect)];
  const minute = (r: Run) => (r.wallMs >= 60_000 ? '' : ` (the run took ${fmt(r.wallMs / 1000, 1)} s)`);
  return {
    title: '4 (iii). One token for the fleet (token mode, the default)',
    lines: [
      ...table(
        ['', 'IVR flag (participant there)', 'flag at connect (participant 1 s late)'],
        [
          row('calls a minute, arriving evenly', (r) => `${r.perMinute}`),
          row('flagged', (r) => `${r.flagged}/${r.total}`),
          row('requests per flag (accepted + 429)', (r) => fmt(r.perFlag, 2)),
          row('429 answers (honoured)', (r) => `${r.throttled}`),
          row('most accepted requests in any minute', (r) => `${r.busiest}${minute(r)}`),
          row('flags a minute one token carries (300 / requests per flag)', (r) => fmt(300 / r.perFlag, 0)),
          row('bearer tokens seen', (r) => `${r.bearers}`),
        ],
      ),
      ...prose(`${WORKERS} containers read one token from the token secret (GENESYS_TOKEN_SECRET_ID; no client
        credentials) and flag through a proxy that lets ${LIMIT.perWindow} requests per bearer token through in any
        ${LIMIT.windowMs} ms (Genesys's 300 a minute per client-credentials token, without its bursts); over it, 429
        with Retry-After in whole seconds, which the function waits. Calls arrive evenly for ${o.sharedSeconds} s,
        each flagged by an idle container: IVR flags at 270 a minute (the participant exists), flags at connect at 50
        a minute (the participant resolves 1 s after the call arrives; 404 until then). Token requests during the
        whole part (the containers' inits included): ${minted}.`),
    ],
    targets: [
      [
        'one token: every flag lands',
        `${ivr.total + connect.total}/${ivr.total + connect.total}`,
        `${ivr.flagged + connect.flagged}/${ivr.total + connect.total}`,
        ivr.flagged === ivr.total && connect.flagged === connect.total,
      ],
      [
        'one token: at most 300 accepted requests in any minute',
        '≤ 300',
        `${Math.max(ivr.busiest, connect.busiest)}`,
        Math.max(ivr.busiest, connect.busiest) <= 300,
      ],
      [
        'one token: no token minted, one bearer token',
        '0 / 1',
        `${minted} / ${ivr.bearers}`,
        minted === 0 && ivr.bearers === 1 && connect.bearers === 1,
      ],
    ],
  };
}
