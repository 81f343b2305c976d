/**
 * Any budget from 50 ms to 15 s against a Genesys that never succeeds: the function answers before
 * the budget ends, inside its safety margin, and reports the last real answer it got.
 *
 * Thousands of runs drive lib/core/flag-participant.ts on a virtual clock (the `deps` of
 * test/unit/flag-participant.test.ts): random budgets, margins and policies, random sequences of
 * 404, 429 (Retry-After in seconds, as an HTTP date, absent), 5xx, resets, lookups without the
 * participant, token failures, 401s, hangs cut by the attempt timeout and attempts cut by the
 * deadline. A handful of runs do the same over real sockets with small Lambda budgets.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import fc from 'fast-check';
import { flagParticipant, type FlagDeps, type FlagPolicy } from '../../lib/core/flag-participant';
import type { TokenFetch } from '../../lib/genesys/oauth-tokens';
import type { HttpReply, HttpRequest } from '../../lib/genesys/api-client';
import type { GenesysId } from '../../lib/genesys/ids';
import type { Flagger } from '../../lib/flagger';
import { createLogger } from '../../lib/log';
import { computeDeadline } from '../../lib/deadline';
import type { Fault } from '../emulators/genesys';
import { invocation, newConversation, startHarness, type Harness } from '../support/harness';
import { params, resultProblems, timeout } from './support';
import { sensitive } from '../../lib/sensitive';

const quiet = createLogger({ level: 'error', sink: () => undefined });

// ---------------------------------------------------------------------------------------------
// The virtual Genesys: what each request gets, in order (cycled), and how long it takes.

type ApiStep =
  | { kind: 'status'; status: 404 | 500 | 502 | 503 | 504 | 408 | 401; latencyMs: number }
  | {
      kind: 'throttled';
      retryAfter: { seconds: number } | { dateInMs: number } | 'none' | 'garbage';
      latencyMs: number;
    }
  | { kind: 'reset'; latencyMs: number }
  /** No answer: the attempt's own timeout or the deadline ends it. */
  | { kind: 'hang'; deadlineWinsTie: boolean }
  /** GET: the conversation without the wanted participant (PATCH: 404). */
  | { kind: 'lookup-empty'; latencyMs: number }
  /** GET: the participant is there (PATCH: 503), so the next step is a PATCH. */
  | { kind: 'lookup-found'; latencyMs: number };

type TokenStep =
  | { kind: 'ok'; latencyMs: number }
  | { kind: 'upstream'; status: number; latencyMs: number }
  | { kind: 'throttled'; retryAfterMs?: number | undefined; latencyMs: number };

const latency = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 60 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 2000 }) },
);

const apiStep: fc.Arbitrary<ApiStep> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('status' as const),
      status: fc.constant(404 as const),
      latencyMs: latency,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('status' as const),
      status: fc.constantFrom(500, 502, 503, 504, 408) as fc.Arbitrary<500 | 502 | 503 | 504 | 408>,
      latencyMs: latency,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('throttled' as const),
      retryAfter: fc.oneof(
        fc.integer({ min: 0, max: 20 }).map((seconds) => ({ seconds })),
        fc.integer({ min: -5000, max: 20_000 }).map((dateInMs) => ({ dateInMs })),
        fc.constantFrom('none' as const, 'garbage' as const),
      ),
      latencyMs: latency,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reset' as const), latencyMs: latency }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('hang' as const), deadlineWinsTie: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('status' as const),
      status: fc.constant(401 as const),
      latencyMs: latency,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('lookup-empty' as const), latencyMs: latency }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('lookup-found' as const), latencyMs: latency }) },
);

const tokenStep: fc.Arbitrary<TokenStep> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('ok' as const), latencyMs: fc.constant(0) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('ok' as const), latencyMs: latency }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('upstream' as const),
      status: fc.constantFrom(0, 500, 503),
      latencyMs: latency,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        kind: fc.constant('throttled' as const),
        retryAfterMs: fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: undefined }),
        latencyMs: latency,
      },
      { requiredKeys: ['kind', 'latencyMs'] },
    ),
  },
);

const scenario = fc.record({
  /** The Lambda's remaining time when the invocation starts. */
  remainingMs: fc.integer({ min: 50, max: 15_000 }),
  safetyMarginMs: fc.oneof(fc.constant(500), fc.integer({ min: 0, max: 1000 })),
  deadlineMs: fc.oneof(fc.constant(8000), fc.integer({ min: 1, max: 15_000 })),
  backoffBaseMs: fc.integer({ min: 1, max: 200 }),
  backoffExtraMs: fc.integer({ min: 0, max: 2000 }),
  pollBaseMs: fc.integer({ min: 1, max: 300 }),
  pollExtraMs: fc.integer({ min: 0, max: 1000 }),
  attemptTimeoutMs: fc.oneof(fc.constant(3000), fc.integer({ min: 1, max: 5000 })),
  minAttemptMs: fc.oneof(fc.constant(50), fc.integer({ min: 0, max: 300 })),
  lookup: fc.boolean(),
  api: fc.array(apiStep, { minLength: 1, maxLength: 40 }),
  tokens: fc.array(tokenStep, { minLength: 1, maxLength: 6 }),
  randoms: fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 8 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/** What the caller must be told: the last real answer, else TIMEOUT; a second 401 ends with AUTH_FAILED. */
type Heard = 'PARTICIPANT_NOT_FOUND' | 'RATE_LIMITED' | 'UPSTREAM_ERROR';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

async function runVirtual(s: Scenario) {
  let t = T0;
  const deadline = computeDeadline(T0, s.deadlineMs, s.remainingMs, s.safetyMarginMs);
  let apiCalls = 0;
  let tokenCalls = 0;
  let randomCalls = 0;
  let unauthorized = 0;
  let last: Heard | undefined;
  let maxRetryAfterMs = 0;
  const problems: string[] = [];

  const http = async (req: HttpRequest): Promise<HttpReply> => {
    const step = s.api[apiCalls % s.api.length] as ApiStep;
    apiCalls += 1;
    if (apiCalls > 100_000) throw new Error('runaway retry loop: virtual time does not advance');
    const left = deadline - t;
    if (req.timeoutMs > Math.max(1, left)) problems.push(`attempt timeout ${req.timeoutMs} ms with ${left} ms left`);
    const ends = Math.min(req.timeoutMs, left);
    if (step.kind === 'hang' || step.latencyMs >= ends) {
      // No answer in time: the attempt timeout fires first, or the deadline does (a tie may go either way).
      if (req.timeoutMs < left) {
        t += req.timeoutMs;
        last = 'UPSTREAM_ERROR';
        return { kind: 'network', reason: 'timeout', code: 'ATTEMPT_TIMEOUT' };
      }
      t = Math.max(t, deadline);
      const tie = req.timeoutMs === left;
      return tie && !(step.kind === 'hang' && step.deadlineWinsTie)
        ? { kind: 'network', reason: 'timeout', code: 'ATTEMPT_TIMEOUT' }
        : { kind: 'network', reason: 'aborted', code: 'DEADLINE' };
    }
    t += step.latencyMs;
    const isGet = req.method === 'GET';
    switch (step.kind) {
      case 'status':
        if (step.status === 401) unauthorized += 1;
        else last = step.status === 404 ? 'PARTICIPANT_NOT_FOUND' : 'UPSTREAM_ERROR';
        return { kind: 'response', status: step.status, headers: {}, body: '', truncated: false };
      case 'throttled': {
        last = 'RATE_LIMITED';
        const r = step.retryAfter;
        let header: string | undefined;
        if (r === 'garbage') header = 'soon';
        else if (r !== 'none' && 'seconds' in r) header = String(r.seconds);
        else if (r !== 'none') header = new Date(t + r.dateInMs).toUTCString();
        if (r !== 'none' && r !== 'garbage')
          maxRetryAfterMs = Math.max(maxRetryAfterMs, 'seconds' in r ? r.seconds * 1000 : r.dateInMs + 1000);
        return {
          kind: 'response',
          status: 429,
          headers: header === undefined ? {} : { 'retry-after': header },
          body: '',
          truncated: false,
        };
      }
      case 'reset':
        last = 'UPSTREAM_ERROR';
        return { kind: 'network', reason: 'reset', code: 'ECONNRESET' };
      case 'lookup-empty':
        last = 'PARTICIPANT_NOT_FOUND';
        return isGet
          ? {
              kind: 'response',
              status: 200,
              headers: {},
              body: JSON.stringify({ participants: [{ id: 'ivr-1', purpose: 'ivr' }] }),
              truncated: false,
            }
          : { kind: 'response', status: 404, headers: {}, body: '', truncated: false };
      case 'lookup-found':
        if (isGet)
          return {
            kind: 'response',
            status: 200,
            headers: {},
            body: JSON.stringify({
              participants: [{ id: '0f8b2f0e-3c1a-4d5e-9f70-1a2b3c4d5e6f', purpose: 'customer' }],
            }),
            truncated: false,
          };
        last = 'UPSTREAM_ERROR';
        return { kind: 'response', status: 503, headers: {}, body: '', truncated: false };
    }
  };

  const deps: FlagDeps = {
    now: () => t,
    sleep: async (ms) => {
      if (!(ms >= 0)) problems.push(`sleep(${ms})`);
      if (t + ms > deadline) problems.push(`sleeps ${ms} ms at ${t - T0} with the deadline at ${deadline - T0}`);
      t += ms; // not cut short by the deadline: a wait past it must not be started at all
    },
    random: () => s.randoms[randomCalls++ % s.randoms.length] as number,
    http,
    tokens: {
      get: async (): Promise<TokenFetch> => {
        const step = s.tokens[tokenCalls % s.tokens.length] as TokenStep;
        tokenCalls += 1;
        if (step.latencyMs >= deadline - t) {
          t = deadline; // the caller stops waiting at its deadline
          return {
            ok: false,
            error: { kind: 'deadline', reason: 'deadline reached while waiting for a token', status: 0 },
          };
        }
        t += step.latencyMs;
        if (step.kind === 'ok')
          return {
            ok: true,
            value: {
              value: sensitive('token'),
              apiBaseUrl: 'http://genesys.invalid',
              renewAt: Number.MAX_SAFE_INTEGER,
              expiresAt: Number.MAX_SAFE_INTEGER,
            },
          };
        if (step.kind === 'upstream') {
          last = 'UPSTREAM_ERROR';
          return { ok: false, error: { kind: 'upstream', reason: 'token endpoint failed', status: step.status } };
        }
        last = 'RATE_LIMITED';
        if (step.retryAfterMs !== undefined) maxRetryAfterMs = Math.max(maxRetryAfterMs, step.retryAfterMs);
        return {
          ok: false,
          error: {
            kind: 'throttled',
            reason: 'token request rate-limited',
            status: 429,
            ...(step.retryAfterMs === undefined ? {} : { retryAfterMs: step.retryAfterMs }),
          },
        };
      },
      invalidate: () => undefined,
      accepted: () => undefined,
      refusedAgain: 'refused again',
    },
    logger: quiet,
  };

  const policy: FlagPolicy = {
    backoff: { baseMs: s.backoffBaseMs, capMs: s.backoffBaseMs + s.backoffExtraMs },
    poll: { baseMs: s.pollBaseMs, capMs: s.pollBaseMs + s.pollExtraMs },
    attemptTimeoutMs: s.attemptTimeoutMs,
    minAttemptMs: s.minAttemptMs,
  };
  const request = {
    conversationId: '4f1c7c36-2d39-4a0e-9a6c-0d1f3c2b9e51' as GenesysId,
    ...(s.lookup ? {} : { participantId: 'b7d2e0a4-61f3-4c8e-8f0d-2a9c5e7b1d36' as GenesysId }),
    participantPurpose: 'customer',
    attributes: { compliance_checked: 'true' },
  };
  const result = await flagParticipant(request, policy, { startedAt: T0, deadline, requestId: 'r-1' }, deps);
  const expected = unauthorized >= 2 ? 'AUTH_FAILED' : (last ?? 'TIMEOUT');
  return {
    result,
    elapsed: t - T0,
    deadline,
    apiCalls,
    problems,
    expected,
    maxWaitMs: Math.max(policy.backoff.capMs, policy.poll.capMs, maxRetryAfterMs),
    policy,
  };
}

test(
  'virtual clock: any budget, any faults: answered inside the budget, less the safety margin, ' +
    'with the last real answer',
  async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const run = await runVirtual(s);
        const { result } = run;
        // The budget: FLAG_DEADLINE_MS, or the Lambda's remaining time less the safety margin.
        const budget = Math.max(0, Math.min(s.deadlineMs, s.remainingMs - s.safetyMarginMs));
        expect(run.problems).toEqual([]);
        expect(resultProblems(result)).toEqual([]);
        expect(run.elapsed).toBeLessThanOrEqual(budget);
        expect(result.elapsedMs).toBe(run.elapsed);
        if (s.remainingMs >= s.safetyMarginMs)
          expect(run.elapsed + s.safetyMarginMs).toBeLessThanOrEqual(s.remainingMs);
        expect(result.attempts).toBe(run.apiCalls);
        expect({ status: result.status, message: result.message }).toMatchObject({ status: run.expected });
        // It did not give up early either: a retryable answer ends the flag only when the next wait
        // and the minimum attempt window no longer fit before the deadline.
        if (['PARTICIPANT_NOT_FOUND', 'RATE_LIMITED', 'UPSTREAM_ERROR'].includes(result.status)) {
          expect(run.elapsed + run.maxWaitMs + run.policy.minAttemptMs).toBeGreaterThanOrEqual(budget);
        }
      }),
      params(2000),
    );
  },
  timeout(15_000, 2000),
);

// ---------------------------------------------------------------------------------------------
// The same over real sockets: a warm flagger, small Lambda budgets, a Genesys that never succeeds.

let h: Harness;
let flagger: Flagger;
const SAFETY_MARGIN_MS = 50;
/**
 * What may follow the deadline besides a frozen runtime: timer granularity, axios settling an
 * aborted request (several ms at times), the first run of a code path.
 */
const TIMER_SLACK_MS = 25;

beforeAll(async () => {
  h = await startHarness();
  flagger = h.flagger(
    { FLAG_SAFETY_MARGIN_MS: String(SAFETY_MARGIN_MS), FLAG_ATTEMPT_TIMEOUT_MS: '150' },
    { logger: quiet },
  );
  // Warm: the secret and token cached, and every fault path (attempt timeout, reset, deadline
  // abort) run once, since the first run of each in a process costs tens of milliseconds.
  const warm = newConversation(h.genesys);
  h.genesys.script('patch-attributes', [{ hang: true }, { reset: true }, { status: 503 }], warm.conversationId);
  const result = await flagger.flag({ ...warm, risk_level: 'warm' }, invocation());
  if (result.status !== 'UPDATED') throw new Error(`warm-up failed: ${result.status} ${result.message}`);
  h.genesys.script('patch-attributes', [{ hang: true }], warm.conversationId);
  await flagger.flag({ ...warm, risk_level: 'warm' }, invocation(200));
  // The same for the lookup path (GET conversation): answered, failing, hung past the deadline.
  h.genesys.script('get-conversation', [{ reset: true }, { status: 503 }], warm.conversationId);
  await flagger.flag({ conversationId: warm.conversationId, risk_level: 'warm' }, invocation());
  h.genesys.script('get-conversation', [{ hang: true }], warm.conversationId);
  await flagger.flag({ conversationId: warm.conversationId, risk_level: 'warm' }, invocation(200));
});
afterAll(async () => {
  await h.close();
});

const realFault: fc.Arbitrary<Fault> = fc.oneof(
  fc.constantFrom<Fault>(
    { status: 404 },
    { status: 500 },
    { status: 503 },
    { status: 504 },
    { status: 429 },
    { reset: true },
    { hang: true },
  ),
  fc.constantFrom('0', '1').map((retryAfter): Fault => ({ status: 429, retryAfter })),
  fc.integer({ min: 20, max: 200 }).map((delayMs): Fault => ({ delayMs })),
);

test(
  'real sockets: small Lambda budgets (50-400 ms) are kept, up to measured stalls of the runtime itself',
  async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 50, max: 400 }),
        fc.array(realFault, { minLength: 1, maxLength: 30 }),
        fc.boolean(),
        async (remainingMs, faults, lookup) => {
          // The participant never resolves: once the scripted faults are used up, every answer is 404.
          const { conversationId, participantId } = newConversation(h.genesys, { resolveAfterMs: 3_600_000 });
          h.genesys.script(lookup ? 'get-conversation' : 'patch-attributes', faults, conversationId);
          const before = h.genesys.requests.length;
          const budget = Math.max(0, remainingMs - SAFETY_MARGIN_MS);
          const loop = monitorEventLoopDelay({ resolution: 1 });
          loop.enable();
          const started = Date.now();
          // A reference timer for the deadline's instant: how late the runtime fires timers then.
          let referenceFiredAt: number | undefined;
          const reference = setTimeout(() => (referenceFiredAt = Date.now()), budget);
          const result = await flagger.flag(
            { conversationId, ...(lookup ? {} : { participantId }), risk_level: 'x' },
            invocation(remainingMs),
          );
          const wall = Date.now() - started;
          // One timer tick, so that timers due during a stall (the reference, the monitor's) have run
          // and been measured: right after a stall the flag's continuation can run before them.
          await new Promise((resolve) => setTimeout(resolve, 1));
          clearTimeout(reference);
          loop.disable();
          // How long the runtime itself was frozen (GC, a busy neighbour on 2 cores): no code can
          // answer meanwhile, and it is what the safety margin is for.
          const runtimeLagMs =
            (referenceFiredAt === undefined ? 0 : Math.max(0, referenceFiredAt - started - budget)) + loop.max / 1e6;

          expect(resultProblems(result)).toEqual([]);
          expect(['PARTICIPANT_NOT_FOUND', 'RATE_LIMITED', 'UPSTREAM_ERROR', 'TIMEOUT']).toContain(result.status);
          // Inside the Lambda's time: the deadline (that time less the margin) plus whatever the runtime
          // and axios add after it, which is what the margin is for. Only a runtime that measurably
          // froze for longer than the margin may push the answer past it, and then by no more.
          expect(result.elapsedMs).toBeLessThanOrEqual(wall);
          expect(wall).toBeLessThanOrEqual(Math.max(remainingMs, budget + runtimeLagMs + TIMER_SLACK_MS));
          const arrived = h.genesys.arrivals.filter(
            (r) => r.conversationId === conversationId && r.route !== 'token',
          ).length;
          // `attempts` counts requests started: the deadline can cut the last one before it reaches
          // Genesys (a budget of a few milliseconds, a busy machine), and then the flag ended at the deadline.
          expect([arrived, arrived + 1]).toContain(result.attempts);
          expect(h.genesys.requests.slice(before).filter((r) => r.route === 'token')).toEqual([]);
          h.genesys.clearFaults();
        },
      ),
      params(12),
    );
  },
  timeout(15_000, 12),
);
