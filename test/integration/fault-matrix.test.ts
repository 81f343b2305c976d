/**
 * The fault matrix: one row per scripted fault, over real sockets (the real axios client against
 * the Genesys emulator, the real AWS SDK client against the Secrets Manager emulator). Each row
 * asserts the status AND exactly what reached Genesys: token requests and API requests (lookups and
 * PATCHes) counted separately, plus Secrets Manager reads. Where a count depends on timing (retries
 * until the deadline), the API count must equal the `attempts` the function reported, within bounds.
 *
 * Every row gets a Genesys emulator of its own, so rows run concurrently and counts stay exact.
 * The Secrets Manager emulator is shared (the AWS SDK finds it through one environment variable);
 * each row has a secret of its own, and the rows that script Secrets Manager faults (one shared
 * queue) run alone, first. Backoff jitter is pinned (random = 0.5: waits of 7, 15, 30, 30 ... ms
 * with FAST_ENV), which makes the bounds computable.
 *
 * docs/fault-matrix.md is generated from these rows and checked here: run
 * `UPDATE_FAULT_MATRIX=1 npx jest test/integration/fault-matrix.test.ts` after changing a row.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { flagBatch } from '../../lib/batch';
import { createFlagger, type Flagger } from '../../lib/flagger';
import { createLogger } from '../../lib/log';
import type { FlagResult, FlagStatus } from '../../lib/result';
import { GenesysEmulator, type Fault, type RecordedRequest, type Route } from '../emulators/genesys';
import { SecretsManagerEmulator, type SecretsFault } from '../emulators/secrets-manager';
import { CLIENT_ID, CLIENT_SECRET, FAST_ENV, invocation, newConversation, useSecretsEmulator } from '../support/harness';

// ---------------------------------------------------------------------------------------------
// Counts and their bounds

type Count = number | { min: number; max: number };

/**
 * With FAST_ENV (windows of 10, 20, 40, 40 ... ms for both schedules), every wait is at least half
 * its window: 5, 10, 20, 20 ... ms (after an overload signal half the window is fixed, while
 * polling 80 %; with random = 0.5 the waits are 7, 15, 30, 30 ... and 9, 18, 36, 36 ... ms). These
 * floors give an upper bound on attempts for both schedules; `schedule` only names which one a row
 * exercises.
 */
type Schedule = 'backoff' | 'poll';
const shortestWait = (retry: number): number => Math.floor(0.5 * Math.min(40, 10 * 2 ** (retry - 1)));

/** The most attempts that can start within `ms` if every answer took no time at all. */
function mostAttemptsWithin(ms: number, _schedule: Schedule): number {
  let elapsed = 0;
  let attempts = 1;
  for (let retry = 1; ; retry += 1) {
    elapsed += shortestWait(retry);
    if (elapsed >= ms) return attempts;
    attempts += 1;
  }
}

/** Retried until a deadline of `deadlineMs`: no retry starts with less than FLAG_MIN_ATTEMPT_MS (50) left. */
const untilDeadline = (deadlineMs: number, schedule: Schedule, min = 3): Count => ({ min, max: mostAttemptsWithin(deadlineMs - 50, schedule) });

const within = (count: Count, n: number): boolean => (typeof count === 'number' ? n === count : n >= count.min && n <= count.max);
const show = (count: Count, attempts = false): string =>
  typeof count === 'number' ? String(count) : `${count.min}–${count.max}${attempts ? ' (= attempts)' : ''}`;

// ---------------------------------------------------------------------------------------------
// Rows

interface Ctx {
  genesys: GenesysEmulator;
  secretId: string;
  /** A flagger that has read no secret and holds no token yet. */
  cold(extraEnv?: Record<string, string>): Flagger;
  /** A flagger with its secret and token cached; counting starts after its warm-up flag. */
  warm(extraEnv?: Record<string, string>): Promise<Flagger>;
  putSecret(value: string): void;
  conversation(participant?: { resolveAfterMs?: number }): { conversationId: string; participantId: string };
  script(route: Route, faults: Fault[], conversationId?: string): void;
  /** Numbers a row's check needs from its run (e.g. a time it scripted). */
  notes: Record<string, number>;
  /** Which kind of flagger the row built (checked against the row's `start`). */
  started?: 'warm' | 'cold';
}

interface Observed {
  result: FlagResult;
  token: number;
  api: number;
  secretReads: number;
  /** Requests this row sent after its warm-up, in arrival order. */
  sent: RecordedRequest[];
  wallMs: number;
  notes: Record<string, number>;
  /** Error-level log lines of the row's flaggers: must stay empty. */
  errors: string[];
}

interface Row {
  group: string;
  case: string;
  /** A warm flagger has its secret and a token cached; a cold one reads and requests them first. */
  start: 'warm' | 'cold';
  fault: string;
  status: FlagStatus;
  token: Count;
  api: Count;
  secretReads: Count;
  /** Scripts Secrets Manager faults: runs alone, before the others. */
  serial?: boolean;
  /** Puts its own secret (or none); the others get good credentials. */
  ownSecret?: boolean;
  run(ctx: Ctx): Promise<FlagResult>;
  check?(observed: Observed): void;
}

const many = <T>(n: number, item: T): T[] => Array.from({ length: n }, () => item);
const patchStatuses = (o: Observed): string[] => o.sent.filter((r) => r.route !== 'token').map((r) => `${r.method} ${r.status}`);
const gapMs = (o: Observed, route: Route): number => {
  const [first, second] = o.sent.filter((r) => r.route === route);
  return (second?.at ?? Number.NaN) - (first?.at ?? Number.NaN);
};
const NEVER = 3_600_000; // a participant that resolves in an hour: 404 for the whole test
/**
 * Timer lag allowed on `elapsedMs <= deadline` here: rows run six at a time in one process on a
 * small machine. (The exact bound is proven on a virtual clock in test/property/deadline.test.ts;
 * in Lambda the safety margin absorbs the lag.)
 */
const LAG_MS = 25;

const credentials = (fields: Record<string, string> = {}): string =>
  JSON.stringify({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, environment: 'mypurecloud.com', ...fields });

/** The common shape of a row that flags one known participant. */
async function flagParticipant(ctx: Ctx, flagger: Flagger, faults: Fault[] = [], participant: { resolveAfterMs?: number } = {}, remainingMs?: number): Promise<FlagResult> {
  const c = ctx.conversation(participant);
  if (faults.length > 0) ctx.script('patch-attributes', faults, c.conversationId);
  return flagger.flag({ ...c, compliance_checked: true }, invocation(remainingMs));
}

const ROWS: Row[] = [
  // ----- the participant
  {
    group: 'Participant',
    case: 'participant resolves inside the deadline',
    start: 'warm',
    fault: 'PATCH 404 until 300 ms after the call connects',
    status: 'UPDATED',
    token: 0,
    api: { min: 2, max: mostAttemptsWithin(300, 'poll') + 1 },
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [], { resolveAfterMs: 300 }),
    check: (o) => {
      const statuses = patchStatuses(o);
      expect(statuses.slice(0, -1).every((s) => s === 'PATCH 404')).toBe(true);
      expect(statuses.at(-1)).toBe('PATCH 202');
      expect(o.result.elapsedMs).toBeGreaterThanOrEqual(300);
    },
  },
  {
    group: 'Participant',
    case: 'participant resolves only after the deadline',
    start: 'warm',
    fault: 'PATCH 404 until 1.5 s; deadline 700 ms',
    status: 'PARTICIPANT_NOT_FOUND',
    token: 0,
    api: untilDeadline(700, 'poll'),
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm({ FLAG_DEADLINE_MS: '700' }), [], { resolveAfterMs: 1500 }),
    check: (o) => {
      expect(patchStatuses(o).every((s) => s === 'PATCH 404')).toBe(true);
      expect(o.result).toMatchObject({ httpStatus: 404, participantId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      expect(o.result.elapsedMs).toBeLessThanOrEqual(700 + LAG_MS);
    },
  },
  {
    group: 'Participant',
    case: 'lookup: the customer appears inside the deadline',
    start: 'warm',
    fault: 'no participantId; GET shows no customer until 300 ms',
    status: 'UPDATED',
    token: 0,
    api: { min: 3, max: mostAttemptsWithin(300, 'poll') + 2 },
    secretReads: 0,
    run: async (ctx) => {
      const flagger = await ctx.warm();
      const c = ctx.conversation({ resolveAfterMs: 300 });
      const result = await flagger.flag({ conversationId: c.conversationId, participantId: '', compliance_checked: true }, invocation());
      expect(result.participantId).toBe(c.participantId);
      return result;
    },
    check: (o) => {
      const statuses = patchStatuses(o);
      expect(statuses.slice(0, -1).every((s) => s === 'GET 200')).toBe(true);
      expect(statuses.at(-1)).toBe('PATCH 202');
    },
  },
  {
    group: 'Participant',
    case: 'lookup: the customer never appears',
    start: 'warm',
    fault: 'no participantId; GET never shows a customer; deadline 700 ms',
    status: 'PARTICIPANT_NOT_FOUND',
    token: 0,
    api: untilDeadline(700, 'poll'),
    secretReads: 0,
    run: async (ctx) => {
      const flagger = await ctx.warm({ FLAG_DEADLINE_MS: '700' });
      const c = ctx.conversation({ resolveAfterMs: NEVER });
      return flagger.flag({ conversationId: c.conversationId, compliance_checked: true }, invocation());
    },
    check: (o) => {
      expect(patchStatuses(o).every((s) => s === 'GET 200')).toBe(true);
      expect(o.result).toMatchObject({ participantId: '', httpStatus: 200 });
    },
  },

  // ----- rate limits
  {
    group: 'Rate limits',
    case: '429 with Retry-After in seconds',
    start: 'warm',
    fault: 'PATCH 429 `Retry-After: 1`, then OK',
    status: 'UPDATED',
    token: 0,
    api: 2,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [{ status: 429, retryAfter: '1' }]),
    check: (o) => expect(gapMs(o, 'patch-attributes')).toBeGreaterThanOrEqual(950),
  },
  {
    group: 'Rate limits',
    case: '429 with Retry-After as an HTTP date',
    start: 'warm',
    fault: 'PATCH 429 `Retry-After: <HTTP date 1–2 s ahead>`, then OK',
    status: 'UPDATED',
    token: 0,
    api: 2,
    secretReads: 0,
    run: async (ctx) => {
      const flagger = await ctx.warm();
      const at = (Math.floor(Date.now() / 1000) + 2) * 1000; // a whole second: HTTP dates have no milliseconds
      ctx.notes.retryAt = at;
      return flagParticipant(ctx, flagger, [{ status: 429, retryAfter: new Date(at).toUTCString() }]);
    },
    check: (o) => {
      const second = o.sent.filter((r) => r.route === 'patch-attributes')[1];
      expect(second?.at ?? 0).toBeGreaterThanOrEqual((o.notes.retryAt ?? Number.POSITIVE_INFINITY) - 5);
    },
  },
  {
    group: 'Rate limits',
    case: '429 with Retry-After as an HTTP date in the past',
    start: 'warm',
    fault: 'PATCH 429 `Retry-After: <HTTP date 1 min ago>`, then OK',
    status: 'UPDATED',
    token: 0,
    api: 2,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [{ status: 429, retryAfter: new Date(Date.now() - 60_000).toUTCString() }]),
    check: (o) => expect(gapMs(o, 'patch-attributes')).toBeLessThan(200),
  },
  {
    group: 'Rate limits',
    case: '429 without Retry-After',
    start: 'warm',
    fault: 'PATCH 429 (no header), then OK',
    status: 'UPDATED',
    token: 0,
    api: 2,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [{ status: 429 }]),
  },
  {
    group: 'Rate limits',
    case: '429 with Retry-After longer than the budget (seconds)',
    start: 'warm',
    fault: 'PATCH 429 `Retry-After: 30`',
    status: 'RATE_LIMITED',
    token: 0,
    api: 1,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [{ status: 429, retryAfter: '30' }]),
    check: (o) => {
      expect(o.result.httpStatus).toBe(429);
      expect(o.result.elapsedMs).toBeLessThan(300); // ends at once, without waiting
    },
  },
  {
    group: 'Rate limits',
    case: '429 with Retry-After longer than the budget (HTTP date)',
    start: 'warm',
    fault: 'PATCH 429 `Retry-After: <HTTP date 1 min ahead>`',
    status: 'RATE_LIMITED',
    token: 0,
    api: 1,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [{ status: 429, retryAfter: new Date(Date.now() + 60_000).toUTCString() }]),
    check: (o) => expect(o.result.elapsedMs).toBeLessThan(300),
  },
  {
    group: 'Rate limits',
    case: '429 every time',
    start: 'warm',
    fault: 'PATCH 429 (no header) every time; deadline 600 ms',
    status: 'RATE_LIMITED',
    token: 0,
    api: untilDeadline(600, 'backoff'),
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm({ FLAG_DEADLINE_MS: '600' }), many(200, { status: 429 })),
    check: (o) => expect(o.result.httpStatus).toBe(429),
  },

  // ----- server errors and the network
  ...[500, 502, 503, 504].map(
    (status): Row => ({
      group: 'Server errors and the network',
      case: `${status} every time`,
      start: 'warm',
      fault: `PATCH ${status} every time; deadline 600 ms`,
      status: 'UPSTREAM_ERROR',
      token: 0,
      api: untilDeadline(600, 'backoff'),
      secretReads: 0,
      run: async (ctx) => flagParticipant(ctx, await ctx.warm({ FLAG_DEADLINE_MS: '600' }), many(200, { status })),
      check: (o) => {
        expect(o.result.httpStatus).toBe(status);
        expect(o.result.elapsedMs).toBeLessThanOrEqual(600 + LAG_MS);
      },
    }),
  ),
  {
    group: 'Server errors and the network',
    case: '503 twice, then OK',
    start: 'warm',
    fault: 'PATCH 503, 503, then OK',
    status: 'UPDATED',
    token: 0,
    api: 3,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [{ status: 503 }, { status: 503 }]),
  },
  {
    group: 'Server errors and the network',
    case: 'connection reset once',
    start: 'warm',
    fault: 'PATCH socket destroyed without an answer, then OK',
    status: 'UPDATED',
    token: 0,
    api: 2,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [{ reset: true }]),
  },
  {
    group: 'Server errors and the network',
    case: 'connection reset every time',
    start: 'warm',
    fault: 'PATCH socket destroyed every time; deadline 600 ms',
    status: 'UPSTREAM_ERROR',
    token: 0,
    api: untilDeadline(600, 'backoff'),
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm({ FLAG_DEADLINE_MS: '600' }), many(200, { reset: true })),
    check: (o) => expect(o.result.httpStatus).toBe(0),
  },
  {
    group: 'Server errors and the network',
    case: 'hung response once',
    start: 'warm',
    fault: 'PATCH never answered, then OK; attempt timeout 200 ms',
    status: 'UPDATED',
    token: 0,
    api: 2,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm({ FLAG_ATTEMPT_TIMEOUT_MS: '200' }), [{ hang: true }]),
    check: (o) => expect(o.result.elapsedMs).toBeGreaterThanOrEqual(200),
  },
  {
    group: 'Server errors and the network',
    case: 'hung response every time',
    start: 'warm',
    fault: 'PATCH never answered; attempt timeout 200 ms, deadline 700 ms',
    status: 'UPSTREAM_ERROR',
    token: 0,
    // 0-200, 205-405, 415-615, then 635 with 65 ms left (cut by the deadline): 3 or 4 attempts.
    api: { min: 3, max: 4 },
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm({ FLAG_ATTEMPT_TIMEOUT_MS: '200', FLAG_DEADLINE_MS: '700' }), many(10, { hang: true })),
    check: (o) => expect(o.result.elapsedMs).toBeLessThanOrEqual(700 + LAG_MS),
  },
  {
    group: 'Server errors and the network',
    case: 'hung response past the deadline',
    start: 'warm',
    fault: 'PATCH never answered; attempt timeout 5 s, deadline 600 ms',
    status: 'TIMEOUT',
    token: 0,
    api: 1,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm({ FLAG_ATTEMPT_TIMEOUT_MS: '5000', FLAG_DEADLINE_MS: '600' }), [{ hang: true }]),
    check: (o) => {
      expect(o.result.httpStatus).toBe(0);
      expect(o.wallMs).toBeLessThan(1000); // the deadline, not the 5 s attempt timeout
    },
  },
  {
    group: 'Server errors and the network',
    case: 'slow body inside the attempt timeout',
    start: 'warm',
    fault: 'PATCH status line at once, body after 100 ms',
    status: 'UPDATED',
    token: 0,
    api: 1,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [{ slowBodyMs: 100 }]),
    check: (o) => expect(o.result.elapsedMs).toBeGreaterThanOrEqual(95),
  },
  {
    group: 'Server errors and the network',
    case: 'slow body beyond the attempt timeout',
    start: 'warm',
    fault: 'PATCH body after 2 s, then OK; attempt timeout 300 ms',
    status: 'UPDATED',
    token: 0,
    api: 2,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm({ FLAG_ATTEMPT_TIMEOUT_MS: '300' }), [{ slowBodyMs: 2000 }]),
    check: (o) => expect(o.result.elapsedMs).toBeLessThan(1500),
  },
  {
    group: 'Server errors and the network',
    case: 'slow body past the deadline',
    start: 'warm',
    fault: 'PATCH body after 2 s; attempt timeout 5 s, deadline 600 ms',
    status: 'TIMEOUT',
    token: 0,
    api: 1,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm({ FLAG_ATTEMPT_TIMEOUT_MS: '5000', FLAG_DEADLINE_MS: '600' }), [{ slowBodyMs: 2000 }]),
    check: (o) => expect(o.wallMs).toBeLessThan(1000),
  },

  // ----- odd successes
  {
    group: 'Odd 2xx answers',
    case: '2xx with a malformed body',
    start: 'warm',
    fault: 'PATCH 200 `not json{`',
    status: 'UPDATED',
    token: 0,
    api: 1,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [{ status: 200, body: 'not json{' }]),
    check: (o) => expect(o.result.httpStatus).toBe(200),
  },
  {
    group: 'Odd 2xx answers',
    case: '2xx with an empty body',
    start: 'warm',
    fault: 'PATCH 204, no body',
    status: 'UPDATED',
    token: 0,
    api: 1,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [{ status: 204, body: '' }]),
    check: (o) => expect(o.result.httpStatus).toBe(204),
  },
  {
    group: 'Odd 2xx answers',
    case: '2xx with an unexpected JSON body',
    start: 'warm',
    fault: 'PATCH 201 `[1,2,3]`',
    status: 'UPDATED',
    token: 0,
    api: 1,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [{ status: 201, body: '[1,2,3]' }]),
    check: (o) => expect(o.result.httpStatus).toBe(201),
  },
  {
    group: 'Odd 2xx answers',
    case: 'lookup answered 200 with a malformed body',
    start: 'warm',
    fault: 'no participantId; GET 200 `{"participants":` every time; deadline 600 ms',
    status: 'UPSTREAM_ERROR',
    token: 0,
    api: untilDeadline(600, 'backoff'),
    secretReads: 0,
    run: async (ctx) => {
      const flagger = await ctx.warm({ FLAG_DEADLINE_MS: '600' });
      const c = ctx.conversation();
      ctx.script('get-conversation', many(200, { status: 200, body: '{"participants":' }), c.conversationId);
      return flagger.flag({ conversationId: c.conversationId, compliance_checked: true }, invocation());
    },
    check: (o) => expect(o.sent.filter((r) => r.route === 'patch-attributes')).toHaveLength(0),
  },
  {
    group: 'Untrusted answers',
    case: 'Retry-After: 0 on every answer',
    start: 'warm',
    fault: 'PATCH 429 `Retry-After: 0` every time; deadline 600 ms',
    status: 'RATE_LIMITED',
    token: 0,
    api: untilDeadline(600, 'backoff'),
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm({ FLAG_DEADLINE_MS: '600' }), many(200, { status: 429, retryAfter: '0' })),
    check: (o) => {
      // The schedule's waits, never shorter: 7, 15, 30, 30 ... ms between the PATCHes.
      const patches = o.sent.filter((r) => r.route === 'patch-attributes');
      patches.slice(1).forEach((r, i) => expect(r.at - (patches[i]?.at ?? 0)).toBeGreaterThanOrEqual(5));
    },
  },
  {
    group: 'Untrusted answers',
    case: 'lookup names the customer with the id `..`',
    start: 'warm',
    fault: 'no participantId; GET 200 with the customer\'s id `..` every time; deadline 600 ms',
    status: 'UPSTREAM_ERROR',
    token: 0,
    api: untilDeadline(600, 'backoff'),
    secretReads: 0,
    run: async (ctx) => {
      const flagger = await ctx.warm({ FLAG_DEADLINE_MS: '600' });
      const c = ctx.conversation();
      ctx.script('get-conversation', many(200, { status: 200, body: JSON.stringify({ participants: [{ id: '..', purpose: 'customer' }] }) }), c.conversationId);
      return flagger.flag({ conversationId: c.conversationId, compliance_checked: true }, invocation());
    },
    check: (o) => {
      expect(o.sent.filter((r) => r.route === 'patch-attributes')).toHaveLength(0);
      expect(o.result.participantId).toBe('');
    },
  },
  {
    group: 'Untrusted answers',
    case: '2xx with a 2 MiB body',
    start: 'warm',
    fault: 'PATCH 202 with a body of 2 MiB',
    status: 'UPDATED',
    token: 0,
    api: 1,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [{ status: 202, body: 'x'.repeat(2 * 1024 * 1024) }]),
  },

  // ----- the token endpoint (cold flaggers: deadlines of at least 600 ms)
  {
    group: 'Token endpoint',
    case: 'token endpoint 5xx once',
    start: 'cold',
    fault: 'POST /oauth/token 503, then OK',
    status: 'UPDATED',
    token: 2,
    api: 1,
    secretReads: 1,
    run: async (ctx) => {
      ctx.script('token', [{ status: 503 }]);
      return flagParticipant(ctx, ctx.cold());
    },
  },
  {
    group: 'Token endpoint',
    case: 'token endpoint 5xx every time',
    start: 'cold',
    fault: 'POST /oauth/token 500 every time; deadline 800 ms',
    status: 'UPSTREAM_ERROR',
    token: untilDeadline(800, 'backoff', 2),
    api: 0,
    secretReads: 1,
    run: async (ctx) => {
      ctx.script('token', many(200, { status: 500 }));
      return flagParticipant(ctx, ctx.cold({ FLAG_DEADLINE_MS: '800' }));
    },
    check: (o) => expect(o.result.httpStatus).toBe(500),
  },
  {
    group: 'Token endpoint',
    case: 'token endpoint hangs once',
    start: 'cold',
    fault: 'POST /oauth/token never answered, then OK; attempt timeout 300 ms',
    status: 'UPDATED',
    token: 2,
    api: 1,
    secretReads: 1,
    run: async (ctx) => {
      ctx.script('token', [{ hang: true }]);
      return flagParticipant(ctx, ctx.cold({ FLAG_ATTEMPT_TIMEOUT_MS: '300' }));
    },
  },
  {
    group: 'Token endpoint',
    case: 'token endpoint hangs past the deadline',
    start: 'cold',
    fault: 'POST /oauth/token never answered; attempt timeout 5 s, deadline 700 ms',
    status: 'TIMEOUT',
    token: 1,
    api: 0,
    secretReads: 1,
    run: async (ctx) => {
      ctx.script('token', [{ hang: true }]);
      return flagParticipant(ctx, ctx.cold({ FLAG_ATTEMPT_TIMEOUT_MS: '5000', FLAG_DEADLINE_MS: '700' }));
    },
    check: (o) => expect(o.wallMs).toBeLessThan(1100),
  },
  {
    group: 'Token endpoint',
    case: 'token endpoint 429 with Retry-After',
    start: 'cold',
    fault: 'POST /oauth/token 429 `Retry-After: 1`, then OK',
    status: 'UPDATED',
    token: 2,
    api: 1,
    secretReads: 1,
    run: async (ctx) => {
      ctx.script('token', [{ status: 429, retryAfter: '1' }]);
      return flagParticipant(ctx, ctx.cold());
    },
    check: (o) => expect(gapMs(o, 'token')).toBeGreaterThanOrEqual(950),
  },
  {
    group: 'Token endpoint',
    case: 'invalid_client',
    start: 'cold',
    fault: 'POST /oauth/token 401 `{"error":"invalid_client"}`; the re-read secret is unchanged',
    status: 'AUTH_FAILED',
    token: 1,
    api: 0,
    secretReads: 2,
    run: async (ctx) => {
      ctx.script('token', [{ status: 401, body: '{"error":"invalid_client","description":"client not found"}' }]);
      return flagParticipant(ctx, ctx.cold());
    },
    check: (o) => expect(o.result).toMatchObject({ httpStatus: 401, message: expect.stringContaining('invalid_client') }),
  },
  {
    group: 'Token endpoint',
    case: 'token reply without access_token, once',
    start: 'cold',
    fault: 'POST /oauth/token 200 `{"token_type":"bearer","expires_in":86400}`, then OK',
    status: 'UPDATED',
    token: 2,
    api: 1,
    secretReads: 1,
    run: async (ctx) => {
      ctx.script('token', [{ status: 200, body: '{"token_type":"bearer","expires_in":86400}' }]);
      return flagParticipant(ctx, ctx.cold());
    },
  },
  {
    group: 'Token endpoint',
    case: 'token reply without access_token, every time',
    start: 'cold',
    fault: 'POST /oauth/token 200 without `access_token` every time; deadline 800 ms',
    status: 'UPSTREAM_ERROR',
    token: untilDeadline(800, 'backoff', 2),
    api: 0,
    secretReads: 1,
    run: async (ctx) => {
      ctx.script('token', many(200, { status: 200, body: '{"token_type":"bearer","expires_in":86400}' }));
      return flagParticipant(ctx, ctx.cold({ FLAG_DEADLINE_MS: '800' }));
    },
    check: (o) => expect(o.result.message).toContain('access_token'),
  },
  {
    group: 'Token endpoint',
    case: 'token reply with an empty body, once',
    start: 'cold',
    fault: 'POST /oauth/token 200 with no body, then OK',
    status: 'UPDATED',
    token: 2,
    api: 1,
    secretReads: 1,
    run: async (ctx) => {
      ctx.script('token', [{ status: 200, body: '' }]);
      return flagParticipant(ctx, ctx.cold());
    },
  },

  // ----- tokens revoked mid-call (warm flaggers: the cached token goes bad)
  {
    group: 'Revoked tokens',
    case: 'token revoked mid-call: 401, refresh, success',
    start: 'warm',
    fault: 'every issued token revoked before the PATCH',
    status: 'UPDATED',
    token: 1,
    api: 2,
    secretReads: 0,
    run: async (ctx) => {
      const flagger = await ctx.warm();
      ctx.genesys.revokeTokens();
      return flagParticipant(ctx, flagger);
    },
    check: (o) => expect(o.sent.map((r) => `${r.route} ${r.status}`)).toEqual(['patch-attributes 401', 'token 200', 'patch-attributes 202']),
  },
  {
    group: 'Revoked tokens',
    case: '401 twice',
    start: 'warm',
    fault: 'PATCH 401, and 401 again with the fresh token',
    status: 'AUTH_FAILED',
    token: 1,
    api: 2,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [{ status: 401, code: 'bad.credentials' }, { status: 401, code: 'bad.credentials' }]),
    check: (o) => expect(o.result.httpStatus).toBe(401),
  },
  {
    group: 'Revoked tokens',
    case: '401, then the login host refuses the client',
    start: 'warm',
    fault: 'PATCH 401; POST /oauth/token 401 `invalid_client`; the re-read secret is unchanged',
    status: 'AUTH_FAILED',
    token: 1,
    api: 1,
    secretReads: 1,
    run: async (ctx) => {
      const flagger = await ctx.warm();
      ctx.script('token', [{ status: 401, body: '{"error":"invalid_client"}' }]);
      return flagParticipant(ctx, flagger, [{ status: 401, code: 'bad.credentials' }]);
    },
    check: (o) => expect(o.result.message).toContain('invalid_client'),
  },

  // ----- the secret (cold flaggers)
  {
    group: 'The secret',
    case: 'secret missing',
    start: 'cold',
    ownSecret: true,
    fault: 'no such secret (`ResourceNotFoundException`)',
    status: 'CONFIG_ERROR',
    token: 0,
    api: 0,
    secretReads: 1,
    run: async (ctx) => flagParticipant(ctx, ctx.cold()), // the secret is never put
    check: (o) => expect(o.result.message).toContain('ResourceNotFoundException'),
  },
  {
    group: 'The secret',
    case: 'secret not JSON',
    start: 'cold',
    ownSecret: true,
    fault: 'secret string `clientId=x`',
    status: 'CONFIG_ERROR',
    token: 0,
    api: 0,
    secretReads: 1,
    run: async (ctx) => {
      ctx.putSecret('clientId=x');
      return flagParticipant(ctx, ctx.cold());
    },
    check: (o) => expect(o.result.message).toContain('not a JSON object'),
  },
  {
    group: 'The secret',
    case: 'secret missing fields',
    start: 'cold',
    ownSecret: true,
    fault: 'secret `{"clientId": …}` only',
    status: 'CONFIG_ERROR',
    token: 0,
    api: 0,
    secretReads: 1,
    run: async (ctx) => {
      ctx.putSecret(JSON.stringify({ clientId: CLIENT_ID }));
      return flagParticipant(ctx, ctx.cold());
    },
    check: (o) => expect(o.result.message).toContain('lacks clientSecret'),
  },
  {
    group: 'The secret',
    case: 'unknown environment',
    start: 'cold',
    ownSecret: true,
    fault: 'secret `environment: "evil.example.com"`, login host not overridden',
    status: 'CONFIG_ERROR',
    token: 0,
    api: 0,
    secretReads: 1,
    run: async (ctx) => {
      ctx.putSecret(credentials({ environment: 'evil.example.com' }));
      return flagParticipant(ctx, ctx.cold({ GENESYS_LOGIN_BASE_URL: '' }));
    },
    check: (o) => expect(o.result.message).toContain('unknown Genesys environment'),
  },
  {
    group: 'The secret',
    case: 'Secrets Manager throttling once',
    start: 'cold',
    fault: '`ThrottlingException`, then the secret',
    status: 'UPDATED',
    token: 1,
    api: 1,
    secretReads: 2,
    serial: true,
    run: async (ctx) => {
      secrets.script([{ error: 'ThrottlingException' }]);
      return flagParticipant(ctx, ctx.cold());
    },
  },
  {
    group: 'The secret',
    case: 'Secrets Manager throttling every time',
    start: 'cold',
    fault: '`ThrottlingException` every time; deadline 600 ms',
    status: 'UPSTREAM_ERROR',
    token: 0,
    api: 0,
    secretReads: untilDeadline(600, 'backoff', 2),
    serial: true,
    run: async (ctx) => {
      secrets.script(many<SecretsFault>(200, { error: 'ThrottlingException' }));
      try {
        return await flagParticipant(ctx, ctx.cold({ FLAG_DEADLINE_MS: '600' }));
      } finally {
        secrets.clearFaults();
      }
    },
    check: (o) => expect(o.result.message).toContain('ThrottlingException'),
  },
  {
    group: 'The secret',
    case: 'Secrets Manager 5xx once',
    start: 'cold',
    fault: '`InternalServiceError` (500), then the secret',
    status: 'UPDATED',
    token: 1,
    api: 1,
    secretReads: 2,
    serial: true,
    run: async (ctx) => {
      secrets.script([{ error: 'InternalServiceError' }]);
      return flagParticipant(ctx, ctx.cold());
    },
  },
  {
    group: 'The secret',
    case: 'Secrets Manager access denied',
    start: 'cold',
    fault: '`AccessDeniedException`',
    status: 'CONFIG_ERROR',
    token: 0,
    api: 0,
    secretReads: 1,
    serial: true,
    run: async (ctx) => {
      secrets.script([{ error: 'AccessDeniedException' }]);
      return flagParticipant(ctx, ctx.cold());
    },
  },
  {
    group: 'The secret',
    case: 'Secrets Manager hangs',
    start: 'cold',
    fault: 'GetSecretValue never answered; deadline 600 ms',
    status: 'TIMEOUT',
    token: 0,
    api: 0,
    secretReads: 1,
    serial: true,
    run: async (ctx) => {
      secrets.script([{ hang: true }]);
      return flagParticipant(ctx, ctx.cold({ FLAG_DEADLINE_MS: '600' }));
    },
    check: (o) => expect(o.wallMs).toBeLessThan(1100),
  },

  // ----- the Lambda's own budget (warm flaggers, default 500 ms safety margin)
  {
    group: 'Lambda budget',
    case: 'budget inside the safety margin',
    start: 'warm',
    fault: '300 ms of Lambda time left',
    status: 'TIMEOUT',
    token: 0,
    api: 0,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [], {}, 300),
  },
  {
    group: 'Lambda budget',
    case: 'budget shorter than one attempt',
    start: 'warm',
    fault: '650 ms left (150 ms budget); PATCH never answered',
    status: 'TIMEOUT',
    token: 0,
    api: 1,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [{ hang: true }], {}, 650),
    check: (o) => {
      expect(o.result.elapsedMs).toBeLessThanOrEqual(150 + LAG_MS);
      expect(o.wallMs).toBeLessThan(650);
    },
  },
  {
    group: 'Lambda budget',
    case: 'budget shorter than the minimum attempt window',
    start: 'warm',
    fault: '650 ms left (150 ms budget), `FLAG_MIN_ATTEMPT_MS` 200; PATCH 404',
    status: 'PARTICIPANT_NOT_FOUND',
    token: 0,
    api: 1,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm({ FLAG_MIN_ATTEMPT_MS: '200' }), [], { resolveAfterMs: NEVER }, 650),
  },
];

// ---------------------------------------------------------------------------------------------
// The queue door: one batch per row, records flagged concurrently by lib/batch.ts

interface BatchCase {
  id: string;
  body: (ctx: Ctx) => string;
  status: FlagStatus;
  api: Count;
}

interface BatchRow {
  case: string;
  fault: string;
  token: Count;
  env?: Record<string, string>;
  /** No secret at all for this batch. */
  noSecret?: boolean;
  prepare?(ctx: Ctx): void;
  records: BatchCase[];
}

const envelope = (detail: unknown): string =>
  JSON.stringify({ version: '0', id: randomUUID(), 'detail-type': 'Identity Verified', source: 'idv.service', time: new Date().toISOString(), region: 'us-east-1', resources: [], detail });

/** A record for a fresh conversation whose PATCH gets `faults`. */
const record = (id: string, status: FlagStatus, api: Count, faults: Fault[] = [], participant: { resolveAfterMs?: number } = {}): BatchCase => ({
  id,
  status,
  api,
  body: (ctx) => {
    const c = ctx.conversation(participant);
    if (faults.length > 0) ctx.script('patch-attributes', faults, c.conversationId);
    return JSON.stringify({ ...c, compliance_checked: true });
  },
});

const BATCH_DEADLINE_MS = 800;
const MIXED: BatchCase[] = [
  record('ok', 'UPDATED', 1),
  { id: 'eventbridge', status: 'UPDATED', api: 1, body: (ctx) => envelope({ ...ctx.conversation(), attributes: { compliance_checked: 'true' } }) },
  {
    id: 'lookup',
    status: 'UPDATED',
    api: 2,
    body: (ctx) => JSON.stringify({ conversationId: ctx.conversation().conversationId, participantId: null, compliance_checked: true }),
  },
  // Created before the batch starts, so a record that starts late may find it at once.
  record('late-participant', 'UPDATED', { min: 1, max: mostAttemptsWithin(300, 'poll') + 1 }, [], { resolveAfterMs: 300 }),
  record('never-resolves', 'PARTICIPANT_NOT_FOUND', untilDeadline(BATCH_DEADLINE_MS, 'poll'), [], { resolveAfterMs: NEVER }),
  record('429-then-ok', 'UPDATED', 2, [{ status: 429, retryAfter: '0' }]),
  record('429-retry-after-30', 'RATE_LIMITED', 1, [{ status: 429, retryAfter: '30' }]),
  record('500-then-ok', 'UPDATED', 2, [{ status: 500 }]),
  record('503-every-time', 'UPSTREAM_ERROR', untilDeadline(BATCH_DEADLINE_MS, 'backoff'), many(200, { status: 503 })),
  record('reset-then-ok', 'UPDATED', 2, [{ reset: true }]),
  record('hang-then-ok', 'UPDATED', 2, [{ hang: true }]),
  // 0-300, 305-605, then 615 with 185 ms left: cut by the deadline, reported as the last answer.
  record('hang-every-time', 'UPSTREAM_ERROR', { min: 2, max: 3 }, many(5, { hang: true })),
  record('slow-body-then-ok', 'UPDATED', 2, [{ slowBodyMs: 1000 }]),
  record('2xx-malformed', 'UPDATED', 1, [{ status: 200, body: 'not json{' }]),
  record('400', 'REJECTED', 1, [{ status: 400 }]),
  record('403', 'AUTH_FAILED', 1, [{ status: 403 }]),
  record('401-then-ok', 'UPDATED', 2, [{ status: 401 }]),
  record('401-twice', 'AUTH_FAILED', 2, [{ status: 401 }, { status: 401 }]),
  { id: 'malformed-body', status: 'INVALID_INPUT', api: 0, body: () => '{"conversationId": "4f1c7c36-' },
  { id: 'invalid-event', status: 'INVALID_INPUT', api: 0, body: () => JSON.stringify({ conversationId: 'not-a-uuid', compliance_checked: true }) },
  { id: 'traversal-id', status: 'INVALID_INPUT', api: 0, body: () => JSON.stringify({ conversationId: randomUUID(), participantId: '../../oauth/token', a: 'x' }) },
  { id: 'nested-value', status: 'INVALID_INPUT', api: 0, body: (ctx) => JSON.stringify({ ...ctx.conversation(), a: { b: 'c' } }) },
];

const BATCH_ROWS: BatchRow[] = [
  {
    case: 'a mixed batch',
    fault: `${MIXED.length} records: ${MIXED.map((r) => r.id).join(', ')}; attempt timeout 300 ms, deadline ${BATCH_DEADLINE_MS} ms, concurrency 5`,
    // One token, plus one per record whose 401 dropped the shared token (a refresh already under way is shared).
    token: { min: 2, max: 3 },
    env: { FLAG_DEADLINE_MS: String(BATCH_DEADLINE_MS), FLAG_ATTEMPT_TIMEOUT_MS: '300' },
    records: MIXED,
  },
  {
    case: 'token endpoint 5xx at the start of a batch',
    fault: 'POST /oauth/token 503 once; 5 plain records, concurrency 5',
    // All five wait on one token request, and retry on one more.
    token: 2,
    prepare: (ctx) => ctx.script('token', [{ status: 503 }]),
    records: ['a', 'b', 'c', 'd', 'e'].map((id) => record(id, 'UPDATED', 1)),
  },
  {
    case: 'secret missing for the whole batch',
    fault: 'no such secret; 4 plain records and a malformed one',
    token: 0,
    noSecret: true,
    records: [
      ...['a', 'b', 'c', 'd'].map((id) => record(id, 'CONFIG_ERROR', 0)),
      { id: 'malformed-body', status: 'INVALID_INPUT', api: 0, body: () => 'not json' },
    ],
  },
];

// ---------------------------------------------------------------------------------------------
// Running the rows

let secrets: SecretsManagerEmulator;

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };
const rowOutcomes = new Map<Row, Outcome<Observed>>();
const batchOutcomes = new Map<BatchRow, Outcome<BatchObserved>>();

interface BatchObserved {
  failedIds: string[];
  statuses: Map<string, string>;
  apiByRecord: Map<string, number>;
  token: number;
  wallMs: number;
}

type Counts = { token: number; api: number; secretReads: number; sent: RecordedRequest[]; errors: string[] };

async function withContext<T>(fn: (ctx: Ctx, counts: () => Counts) => Promise<T>): Promise<T> {
  const genesys = await GenesysEmulator.start({ clients: { [CLIENT_ID]: CLIENT_SECRET } });
  const secretId = `fault-matrix/${randomUUID()}`;
  const env = {
    GENESYS_CREDENTIALS_SECRET_ID: secretId,
    GENESYS_API_BASE_URL: genesys.url,
    GENESYS_LOGIN_BASE_URL: genesys.url,
    LOG_LEVEL: 'debug',
    ...FAST_ENV,
  };
  let secretBaseline = 0;
  /** Error lines (a bug caught by the flagger's last line of defence would show here). */
  const errors: string[] = [];
  const reads = (): number => secrets.requests.filter((r) => r.operation === 'GetSecretValue' && r.secretId === secretId).length;
  const build = (extraEnv: Record<string, string> = {}): Flagger =>
    createFlagger({ ...env, ...extraEnv }, { logger: createLogger({ level: 'error', sink: (line) => errors.push(line) }), random: () => 0.5 });
  const ctx: Ctx = {
    genesys,
    secretId,
    cold: (extraEnv) => {
      ctx.started = 'cold';
      return build(extraEnv);
    },
    warm: async (extraEnv) => {
      ctx.started = 'warm';
      const flagger = build(extraEnv);
      const warmUp = await flagger.flag({ ...ctx.conversation(), a: 'warm-up' }, invocation());
      if (warmUp.status !== 'UPDATED') throw new Error(`warm-up: ${warmUp.status} ${warmUp.message}`);
      genesys.requests.length = 0;
      genesys.arrivals.length = 0;
      secretBaseline = reads();
      return flagger;
    },
    putSecret: (value) => void secrets.put(secretId, value),
    conversation: (participant = {}) => newConversation(genesys, participant),
    script: (route, faults, conversationId) => genesys.script(route, faults, conversationId),
    notes: {},
  };
  const counts = () => ({
    token: genesys.received('token'),
    api: genesys.received('get-conversation') + genesys.received('patch-attributes'),
    secretReads: reads() - secretBaseline,
    sent: [...genesys.arrivals],
    errors: [...errors],
  });
  try {
    return await fn(ctx, counts);
  } finally {
    await genesys.close();
  }
}

async function runRow(row: Row): Promise<Observed> {
  return withContext(async (ctx, counts) => {
    if (!row.ownSecret) ctx.putSecret(credentials());
    const started = Date.now();
    const result = await row.run(ctx);
    const wallMs = Date.now() - started;
    if (ctx.started !== row.start) throw new Error(`the row is documented as ${row.start} but started ${ctx.started ?? 'no flagger'}`);
    return { result, wallMs, notes: ctx.notes, ...counts() };
  });
}

async function runBatch(row: BatchRow): Promise<BatchObserved> {
  return withContext(async (ctx, counts) => {
    if (!row.noSecret) ctx.putSecret(credentials());
    row.prepare?.(ctx);
    const lines: string[] = [];
    const flagger = createFlagger(
      { GENESYS_CREDENTIALS_SECRET_ID: ctx.secretId, GENESYS_API_BASE_URL: ctx.genesys.url, GENESYS_LOGIN_BASE_URL: ctx.genesys.url, ...FAST_ENV, ...row.env },
      { logger: createLogger({ level: 'info', sink: (line) => lines.push(line) }), random: () => 0.5 },
    );
    const conversationOf = new Map<string, string>();
    const records = row.records.map((r) => {
      const body = r.body(ctx);
      const conversationId = /"conversationId":"([0-9a-f-]{36})"/.exec(body)?.[1];
      if (conversationId) conversationOf.set(r.id, conversationId);
      return { id: r.id, body };
    });
    const started = Date.now();
    const end = started + 15_000;
    const outcome = await flagBatch(records, flagger, { requestId: randomUUID(), remainingMs: () => end - Date.now(), concurrency: 5 });
    const wallMs = Date.now() - started;
    const statuses = new Map<string, string>();
    for (const line of lines) {
      const parsed = JSON.parse(line) as { messageId?: string; status?: string };
      if (parsed.messageId && parsed.status) statuses.set(parsed.messageId, parsed.status);
    }
    const apiByRecord = new Map<string, number>();
    for (const r of row.records) {
      const conversationId = conversationOf.get(r.id);
      apiByRecord.set(r.id, conversationId ? ctx.genesys.received('get-conversation', conversationId) + ctx.genesys.received('patch-attributes', conversationId) : 0);
    }
    return { failedIds: outcome.failedIds, statuses, apiByRecord, token: counts().token, wallMs };
  });
}

async function settle<T>(run: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    return { ok: false, error };
  }
}

async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

beforeAll(async () => {
  secrets = await SecretsManagerEmulator.start();
  useSecretsEmulator(secrets.url);
  // Rows that script Secrets Manager faults share its one queue: alone, one after the other.
  for (const row of ROWS.filter((r) => r.serial)) rowOutcomes.set(row, await settle(() => runRow(row)));
  // Everything else at once, a few at a time (each row has its own Genesys emulator).
  const rest: (Row | BatchRow)[] = [...BATCH_ROWS, ...ROWS.filter((r) => !r.serial)];
  await inParallel(rest, 6, async (row) => {
    if ('records' in row) batchOutcomes.set(row, await settle(() => runBatch(row)));
    else rowOutcomes.set(row, await settle(() => runRow(row)));
  });
}, 60_000);

afterAll(async () => {
  await secrets.close();
});

function observed<T>(outcome: Outcome<T> | undefined): T {
  if (!outcome) throw new Error('the row did not run');
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

describe.each([...new Set(ROWS.map((r) => r.group))])('%s', (group) => {
  test.each(ROWS.filter((r) => r.group === group).map((r) => [r.case, r] as const))('%s', (_name, row) => {
    const o = observed(rowOutcomes.get(row));
    // Status and counts in one object, so that a failure shows all of them (and the message).
    expect({
      status: o.result.status,
      token: within(row.token, o.token) ? row.token : o.token,
      api: within(row.api, o.api) ? row.api : o.api,
      secretReads: within(row.secretReads, o.secretReads) ? row.secretReads : o.secretReads,
      message: o.result.message,
    }).toEqual({ status: row.status, token: row.token, api: row.api, secretReads: row.secretReads, message: o.result.message });
    // What the function reported is what Genesys saw, and no bug was caught on the way.
    expect(o.result.attempts).toBe(o.api);
    expect(o.errors).toEqual([]);
    expect(o.result.updated).toBe(row.status === 'UPDATED');
    row.check?.(o);
  });
});

describe('The queue door (lib/batch.ts)', () => {
  test.each(BATCH_ROWS.map((r) => [r.case, r] as const))('%s: every record not UPDATED is in failedIds, and only those', (_name, row) => {
    const o = observed(batchOutcomes.get(row));
    const expectedStatuses = Object.fromEntries(row.records.map((r) => [r.id, r.status]));
    expect(Object.fromEntries(o.statuses)).toEqual(expectedStatuses);
    expect([...o.failedIds].sort()).toEqual(row.records.filter((r) => r.status !== 'UPDATED').map((r) => r.id).sort());
    for (const r of row.records) {
      const api = o.apiByRecord.get(r.id) ?? -1;
      expect({ record: r.id, api: within(r.api, api) ? r.api : api }).toEqual({ record: r.id, api: r.api });
    }
    expect(within(row.token, o.token) ? row.token : o.token).toEqual(row.token);
    expect(o.wallMs).toBeLessThan(15_000);
  });
});

// ---------------------------------------------------------------------------------------------
// Found by this suite: @smithy/node-http-handler only logs when `requestTimeout` passes unless
// `throwOnRequestTimeout: true` is set, and CachedSecret shares its one in-flight read with every
// later caller, so a single hung GetSecretValue used to leave the container answering TIMEOUT to
// every flag. lib/secrets.ts now sets it. Runs after every row (nothing else in flight), since it
// scripts the shared Secrets Manager queue.

const HUNG_SECRET = 'a hung GetSecretValue does not wedge the container: the SDK gives up on it after its request timeout, and the flag reads the secret again within its deadline';

test(HUNG_SECRET, async () => {
  await withContext(async (ctx, counts) => {
    ctx.putSecret(credentials());
    const flagger = ctx.cold({ FLAG_DEADLINE_MS: '600', FLAG_ATTEMPT_TIMEOUT_MS: '200' }); // SDK requestTimeout: 200 ms
    secrets.script([{ hang: true }]);
    const first = await flagParticipant(ctx, flagger);
    expect({ status: first.status, secretReads: counts().secretReads }).toEqual({ status: 'UPDATED', secretReads: 2 });
    const second = await flagParticipant(ctx, flagger);
    expect({ status: second.status, secretReads: counts().secretReads }).toEqual({ status: 'UPDATED', secretReads: 2 });
  });
});

// ---------------------------------------------------------------------------------------------
// docs/fault-matrix.md, generated from the rows above

const DOC = path.join(__dirname, '../../docs/fault-matrix.md');

function renderDoc(): string {
  const cell = (text: string): string => text.replace(/\|/g, '\\|');
  const lines = [
    '# Fault matrix',
    '',
    'What the function answers, and exactly what it sends to Genesys, for each scripted fault. Every row is a',
    'case of [`test/integration/fault-matrix.test.ts`](../test/integration/fault-matrix.test.ts), run over real',
    'sockets: the real axios client against the Genesys emulator and the real AWS SDK client against the Secrets',
    'Manager emulator. This file is generated from that suite, which fails when the two differ',
    '(`UPDATE_FAULT_MATRIX=1 npx jest test/integration/fault-matrix.test.ts` rewrites it).',
    '',
    'Settings unless a row says otherwise: `FAST_ENV` of `test/support/harness.ts` (deadline 3 s, attempt',
    'timeout 1 s, backoff and poll windows of 10, 20, 40, 40 … ms) with the jitter pinned to the middle of',
    'the window: waits of 7, 15, 30, 30 … ms after 429, 5xx and network faults (half of each window fixed) and',
    '9, 18, 36, 36 … ms while polling for a participant (80 % fixed); `FLAG_MIN_ATTEMPT_MS` 50,',
    '`FLAG_SAFETY_MARGIN_MS` 500, 10 s of Lambda time left. A "warm" flagger starts with the secret and a',
    'token cached (counts start after a warm-up flag); a cold one reads the secret and requests a token first.',
    '',
    '**Genesys requests** counts token requests (`POST /oauth/token`) + API requests (`GET` conversation',
    'and `PATCH` attributes). A range is for retries until the deadline: the API count then equals the',
    '`attempts` the function reported (it does in every row), and the bounds run from a floor of 2 or 3',
    '(for a busy machine) to the most attempts that fit in the budget if every answer were instant.',
    '',
  ];
  for (const group of [...new Set(ROWS.map((r) => r.group))]) {
    lines.push(`## ${group}`, '', '| case | flagger | scripted fault | expected status | Genesys requests (token + API) | Secrets Manager reads |', '|---|---|---|---|---|---|');
    for (const r of ROWS.filter((x) => x.group === group)) {
      lines.push(`| ${cell(r.case)} | ${r.start} | ${cell(r.fault)} | \`${r.status}\` | ${show(r.token)} + ${show(r.api, typeof r.api !== 'number')} | ${show(r.secretReads)} |`);
    }
    lines.push('');
  }
  lines.push(
    '## The queue door',
    '',
    'Records of one SQS batch flagged concurrently by `flagBatch` (lib/batch.ts) through one cold flagger, each',
    'record with a conversation and faults of its own. Every record that did not end `UPDATED` must be in',
    '`failedIds` (SQS redelivers it), and no other.',
    '',
    '| case | scripted fault | expected | Genesys requests (token + API) |',
    '|---|---|---|---|',
  );
  for (const b of BATCH_ROWS) {
    const failed = b.records.filter((r) => r.status !== 'UPDATED');
    const byStatus = [...new Set(b.records.map((r) => r.status))].map((s) => `${b.records.filter((r) => r.status === s).length} \`${s}\``).join(', ');
    const api = b.records.map((r) => `${r.id} ${show(r.api)}`).join(', ');
    lines.push(`| ${cell(b.case)} | ${cell(b.fault)} | ${byStatus}; \`failedIds\` = the ${failed.length} not \`UPDATED\` | ${show(b.token)} + per record: ${cell(api)} |`);
  }
  lines.push(
    '',
    '## A hung secret read',
    '',
    `Also tested: ${HUNG_SECRET}. The SDK aborts the hung request after \`FLAG_ATTEMPT_TIMEOUT_MS\``,
    '(`throwOnRequestTimeout`), so the read the container\'s secret cache shares cannot stay stuck: the flag that',
    'met the hang reads the secret a second time and ends `UPDATED` (2 Secrets Manager reads), and so do the next.',
    '',
  );
  return lines.join('\n');
}

test('docs/fault-matrix.md is the table of this suite', () => {
  const doc = renderDoc();
  if (process.env.UPDATE_FAULT_MATRIX === '1') writeFileSync(DOC, doc);
  expect(readFileSync(DOC, 'utf8')).toBe(doc);
});
