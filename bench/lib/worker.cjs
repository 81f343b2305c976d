'use strict';
// One "Lambda container" (startContainer in lab.ts): imports BENCH_BUNDLE with its environment
// already set, as the Lambda runtime does, then invokes the handler when the bench asks over IPC.
// The bundles are ES modules, so import(), not require(); like Lambda, the container is ready only
// once the import has settled, top-level await (our init's prefetch) included.
// Log lines go to stdout as in Lambda; a batch also hands them back, for each record's elapsedMs.
// What users build around the anchor: sleep 2 s, then PATCH once; or PATCH again every 1 s while
// the answer is retryable, until the same 8 s deadline as ours.
const [FIXED_DELAY_MS, NAIVE_INTERVAL_MS, NAIVE_DEADLINE_MS] = [2000, 1000, 8000];
const RETRYABLE = new Set(['PARTICIPANT_NOT_FOUND', 'RATE_LIMITED', 'UPSTREAM_ERROR', 'TIMEOUT']);

const { pathToFileURL } = require('node:url');

let captured = null;
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => (captured?.push(String(chunk)), write(chunk, ...rest));
let handler;

let invocations = 0;
const context = () => {
  const end = Date.now() + Number(process.env.BENCH_TIMEOUT_MS);
  return { awsRequestId: `bench-${process.pid}-${++invocations}`, functionName: 'bench', getRemainingTimeInMillis: () => end - Date.now() };
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const cpuUs = (u = process.cpuUsage()) => u.user + u.system;

async function flag(event, mode) {
  if (mode === 'fixed-delay') await sleep(FIXED_DELAY_MS);
  if (mode !== 'naive-retry') return handler(event, context());
  const started = Date.now();
  for (let attempts = 0; ; await sleep(NAIVE_INTERVAL_MS)) {
    const result = await handler(event, context());
    attempts += result.attempts ?? 1;
    if (!RETRYABLE.has(result.status) || Date.now() - started + NAIVE_INTERVAL_MS >= NAIVE_DEADLINE_MS) return { ...result, attempts, elapsedMs: Date.now() - started };
  }
}

const ops = {
  // wallMs: handler call to result, without the IPC round trip.
  async flag({ event, mode }) {
    const t = performance.now();
    const result = await flag(event, mode);
    return { ...result, wallMs: performance.now() - t };
  },
  // Each flag timed alone (CPU of this process, user + system; wall). With `profile`, the V8
  // sampling profiler records just this loop.
  async sequence({ events, mode, profile }) {
    const session = profile && new (require('node:inspector/promises').Session)();
    if (session) session.connect();
    for (const [method, params] of session ? [['Profiler.enable'], ['Profiler.setSamplingInterval', { interval: 200 }], ['Profiler.start']] : []) await session.post(method, params);
    const reply = { cpuUs: [], wallMs: [], statuses: {} };
    for (const event of events) {
      const [c, t] = [cpuUs(), performance.now()];
      const { status } = await flag(event, mode);
      reply.wallMs.push(performance.now() - t);
      reply.cpuUs.push(cpuUs() - c);
      reply.statuses[status] = (reply.statuses[status] ?? 0) + 1;
    }
    if (session) require('node:fs').writeFileSync(profile, JSON.stringify((await session.post('Profiler.stop')).profile));
    session?.disconnect();
    return reply;
  },
  async batch({ event }) {
    captured = [];
    const t = performance.now();
    const result = await handler(event, context());
    const reply = { failures: result.batchItemFailures.length, wallMs: performance.now() - t, lines: captured.join('').split('\n').filter(Boolean) };
    captured = null;
    return reply;
  },
};

process.on('disconnect', () => process.exit(0)); // the bench went away

async function main() {
  const t0 = performance.now();
  ({ handler } = await import(pathToFileURL(process.env.BENCH_BUNDLE).href));
  const initMs = performance.now() - t0;
  process.on('message', (m) => {
    if (m.op === 'exit') process.exit(0);
    ops[m.op](m).then(
      (reply) => process.send({ id: m.id, reply }),
      (error) => process.send({ id: m.id, error: String(error?.stack ?? error) }),
    );
  });
  process.send({ ready: true, initMs });
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
