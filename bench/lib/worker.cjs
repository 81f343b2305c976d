'use strict';
// A "Lambda container" (startContainer in lab.ts): imports BENCH_BUNDLE with its environment already set, as
// Lambda does, then runs the handler when asked over IPC. Log lines go to stdout; a batch also hands them back.
const { randomBytes } = require('node:crypto');
const { pathToFileURL } = require('node:url');
const { setTimeout: sleep } = require('node:timers/promises');

// Around the anchor, as users build it: sleep 2 s then PATCH once; or PATCH every 1 s while retryable, for 8 s.
const [FIXED_DELAY_MS, NAIVE_INTERVAL_MS, NAIVE_DEADLINE_MS] = [2000, 1000, 8000];
const RETRYABLE = new Set(['PARTICIPANT_NOT_FOUND', 'RATE_LIMITED', 'UPSTREAM_ERROR', 'TIMEOUT']);
// BENCH_XRAY_TRACE_HEADER: per invocation _X_AMZN_TRACE_ID, as Lambda's runtime client sets it under active tracing.
const [tracing, seed] = [Boolean(process.env.BENCH_XRAY_TRACE_HEADER), randomBytes(8).toString('hex')];

let [handler, captured, invocations] = [undefined, null, 0];
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => {
  captured?.push(String(chunk));
  return write(chunk, ...rest);
};

const context = () => {
  const [end, n] = [Date.now() + Number(process.env.BENCH_TIMEOUT_MS), ++invocations];
  if (tracing) {
    const root = `1-${Math.floor(Date.now() / 1000).toString(16)}-${seed}${n.toString(16).padStart(8, '0')}`;
    process.env._X_AMZN_TRACE_ID = `Root=${root};Parent=${seed};Sampled=1`;
  }
  return { awsRequestId: `bench-${process.pid}-${n}`, getRemainingTimeInMillis: () => end - Date.now() };
};
const cpuUs = (u = process.cpuUsage()) => u.user + u.system;

async function flag(event, mode) {
  if (mode === 'fixed-delay') await sleep(FIXED_DELAY_MS);
  if (mode !== 'naive-retry') return handler(event, context());
  const started = Date.now();
  for (; ; await sleep(NAIVE_INTERVAL_MS)) {
    const result = await handler(event, context());
    if (!RETRYABLE.has(result.status) || Date.now() - started + NAIVE_INTERVAL_MS >= NAIVE_DEADLINE_MS) return result;
  }
}

const ops = {
  // Each flag timed alone (CPU of this process, user + system; wall); `profile`: the V8 profiler around all.
  async sequence({ events, mode, profile }) {
    const session = profile && new (require('node:inspector/promises').Session)();
    session?.connect();
    if (session) await session.post('Profiler.enable');
    if (session) await session.post('Profiler.setSamplingInterval', { interval: 200 });
    if (session) await session.post('Profiler.start');
    const reply = { cpuUs: [], wallMs: [], statuses: [] };
    for (const event of events) {
      const [c, t] = [cpuUs(), performance.now()];
      const { status } = await flag(event, mode);
      reply.wallMs.push(performance.now() - t);
      reply.cpuUs.push(cpuUs() - c);
      reply.statuses.push(status);
    }
    const stopped = session && (await session.post('Profiler.stop'));
    if (stopped) require('node:fs').writeFileSync(profile, JSON.stringify(stopped.profile));
    session?.disconnect();
    return reply;
  },
  async batch({ event }) {
    captured = [];
    const t = performance.now();
    const { batchItemFailures } = await handler(event, context());
    const [wallMs, lines] = [performance.now() - t, captured.join('').split('\n').filter(Boolean)];
    captured = null;
    return { failures: batchItemFailures.length, wallMs, lines };
  },
};

process.on('disconnect', () => process.exit(0)); // closed, or the bench went away
(async () => {
  const t0 = performance.now();
  ({ handler } = await import(pathToFileURL(process.env.BENCH_BUNDLE).href));
  const initMs = performance.now() - t0;
  process.on('message', (m) => {
    ops[m.op](m).then(
      (reply) => process.send({ id: m.id, reply }),
      (error) => process.send({ id: m.id, error: String(error?.stack ?? error) }),
    );
  });
  process.send({ ready: true, initMs });
})().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
