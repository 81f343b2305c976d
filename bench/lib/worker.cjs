'use strict';
/**
 * One "Lambda container" for the benchmark: a plain node process (no tsx, no loaders) that
 * requires one bundle with its environment already set, as the Lambda runtime does, and then
 * invokes its handler on request from the bench over IPC. It runs every measurement that must not
 * share a process with the emulators: CPU per flag (process.cpuUsage covers only this process),
 * the lag runs, the queue batches and the fleet.
 *
 * BENCH_BUNDLE   absolute path of the bundle to require
 * BENCH_TIMEOUT_MS  the Lambda timeout the context reports remaining time from (default 10000)
 * BENCH_FIXED_DELAY_MS, BENCH_NAIVE_INTERVAL_MS, BENCH_NAIVE_DEADLINE_MS  the two approaches
 *   built around the anchor: "sleep, then PATCH once" and "retry every N ms until the deadline".
 *
 * The bundle's stdout (our function's log lines) still goes to a pipe the bench drains, as in
 * Lambda; a 'batch' request also hands the lines back, to read each record's elapsedMs.
 */
const { performance } = require('node:perf_hooks');

const bundle = process.env.BENCH_BUNDLE;
const timeoutMs = Number(process.env.BENCH_TIMEOUT_MS || 10000);
const fixedDelayMs = Number(process.env.BENCH_FIXED_DELAY_MS || 2000);
const naiveIntervalMs = Number(process.env.BENCH_NAIVE_INTERVAL_MS || 1000);
const naiveDeadlineMs = Number(process.env.BENCH_NAIVE_DEADLINE_MS || 8000);
const RETRYABLE = new Set(['PARTICIPANT_NOT_FOUND', 'RATE_LIMITED', 'UPSTREAM_ERROR', 'TIMEOUT']);

let captured = null;
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => {
  if (captured) captured.push(String(chunk));
  return write(chunk, ...rest);
};

const t0 = performance.now();
const { handler } = require(bundle);
const initMs = performance.now() - t0;

let invocations = 0;
const context = () => {
  const end = Date.now() + timeoutMs;
  invocations += 1;
  return { awsRequestId: `bench-${process.pid}-${invocations}`, functionName: 'bench', getRemainingTimeInMillis: () => end - Date.now() };
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One flag the way an approach does it: plain (one invocation), fixed-delay, or naive-retry. */
async function flag(event, mode) {
  if (mode === 'fixed-delay') {
    await sleep(fixedDelayMs);
    return handler(event, context());
  }
  if (mode === 'naive-retry') {
    const started = Date.now();
    let attempts = 0;
    for (;;) {
      const result = await handler(event, context());
      attempts += result.attempts ?? 1;
      if (!RETRYABLE.has(result.status) || Date.now() - started + naiveIntervalMs >= naiveDeadlineMs) {
        return { ...result, attempts, elapsedMs: Date.now() - started };
      }
      await sleep(naiveIntervalMs);
    }
  }
  return handler(event, context());
}

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

async function serve(message) {
  switch (message.op) {
    case 'flag': {
      const startedAt = Date.now();
      const result = await flag(message.event, message.mode);
      return { result, startedAt, endedAt: Date.now() };
    }
    case 'sequence': {
      // Sequential flags, each measured alone: CPU (user + system) and wall time. With `profile`,
      // the V8 CPU profiler samples just this loop (a separate run: it slows everything).
      const session = message.profile ? await startProfiler() : undefined;
      const n = message.events.length;
      const cpu = new Array(n);
      const wall = new Array(n);
      const statuses = {};
      let attempts = 0;
      const started = performance.now();
      for (let i = 0; i < n; i += 1) {
        const c = cpuUs();
        const t = performance.now();
        const result = await flag(message.events[i], message.mode);
        wall[i] = performance.now() - t;
        cpu[i] = cpuUs() - c;
        statuses[result.status] = (statuses[result.status] ?? 0) + 1;
        attempts += result.attempts ?? 0;
      }
      const totalMs = performance.now() - started;
      if (session) await stopProfiler(session, message.profile);
      return { cpuUs: message.detail ? cpu : undefined, wallMs: message.detail ? wall : undefined, statuses, attempts, totalMs };
    }
    case 'batch': {
      captured = [];
      const t = performance.now();
      const result = await handler(message.event, context());
      const wallMs = performance.now() - t;
      const lines = captured.join('').split('\n').filter(Boolean);
      captured = null;
      return { result, wallMs, lines };
    }
    default:
      throw new Error(`unknown op ${message.op}`);
  }
}

function post(session, method, params) {
  return new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
}

async function startProfiler() {
  const inspector = require('node:inspector');
  const session = new inspector.Session();
  session.connect();
  await post(session, 'Profiler.enable');
  await post(session, 'Profiler.setSamplingInterval', { interval: 200 });
  await post(session, 'Profiler.start');
  return session;
}

async function stopProfiler(session, file) {
  const { profile } = await post(session, 'Profiler.stop');
  require('node:fs').writeFileSync(file, JSON.stringify(profile));
  session.disconnect();
}

process.on('message', (message) => {
  if (message.op === 'exit') {
    process.exit(0);
  }
  serve(message).then(
    (reply) => process.send({ id: message.id, ok: true, reply }),
    (error) => process.send({ id: message.id, ok: false, error: String(error && error.stack ? error.stack : error) }),
  );
});
// The bench went away (Ctrl+C, a crash): a container has nothing left to do.
process.on('disconnect', () => process.exit(0));
process.send({ ready: true, initMs, pid: process.pid });
