/**
 * The retry loop's timing decisions with a virtual clock: which waits it chooses and that it never
 * waits past its deadline. (Behaviour over real sockets is in test/integration.)
 */
import { flagParticipant, type FlagDeps } from '../../lib/core/flag-participant';
import type { HttpReply } from '../../lib/genesys/api-client';
import { parseGenesysId, type GenesysId } from '../../lib/genesys/ids';
import { createLogger } from '../../lib/log';
import { attemptBound } from '../../lib/core/backoff';
import { sensitive } from '../../lib/sensitive';

const id = (value: string): GenesysId => {
  const parsed = parseGenesysId(value);
  if (!parsed) throw new Error(`not a UUID: ${value}`);
  return parsed;
};
const request = {
  conversationId: id('4f1c7c36-2d39-4a0e-9a6c-0d1f3c2b9e51'),
  participantId: id('b7d2e0a4-61f3-4c8e-8f0d-2a9c5e7b1d36'),
  participantPurpose: 'customer',
  attributes: { compliance_checked: 'true' },
};
const policy = {
  backoff: { baseMs: 100, capMs: 1000 },
  poll: { baseMs: 150, capMs: 560 },
  attemptTimeoutMs: 3000,
  minAttemptMs: 50,
};
const reply = (status: number, headers: Record<string, string> = {}): HttpReply => ({
  kind: 'response',
  status,
  headers,
  body: '',
  truncated: false,
});

function virtualDeps(replies: (n: number) => HttpReply) {
  let t = 1_000_000;
  const sleeps: number[] = [];
  let calls = 0;
  const deps: FlagDeps = {
    now: () => t,
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
    random: () => 0.999999, // always the top of the jitter window
    http: async () => {
      t += 20; // each request takes 20 ms
      calls += 1;
      return replies(calls);
    },
    tokens: {
      get: async () => ({
        ok: true,
        value: {
          value: sensitive('t'),
          apiBaseUrl: 'http://x',
          renewAt: Number.MAX_SAFE_INTEGER,
          expiresAt: Number.MAX_SAFE_INTEGER,
        },
      }),
      invalidate: () => undefined,
      accepted: () => undefined,
      refusedAgain: 'refused again',
    },
    logger: createLogger({ sink: () => undefined }),
  };
  return { deps, sleeps, start: t, elapsed: () => t - 1_000_000, calls: () => calls };
}

test(
  'after overload signals, waits grow from the base, ' + 'double, and stop at the cap; none crosses the deadline',
  async () => {
    const v = virtualDeps(() => reply(503));
    const result = await flagParticipant(
      request,
      policy,
      { startedAt: v.start, deadline: v.start + 8000, requestId: 'r' },
      v.deps,
    );

    expect(result.status).toBe('UPSTREAM_ERROR');
    expect(v.sleeps.slice(0, 6)).toEqual([99, 199, 399, 799, 999, 999]);
    expect(v.elapsed()).toBeLessThanOrEqual(8000);
    // It stopped because the next wait (plus the minimum attempt window) would have crossed the deadline, not earlier.
    expect(v.elapsed() + 999 + 50).toBeGreaterThanOrEqual(8000);
    expect(result.attempts).toBe(v.calls());
  },
);

test(
  'while the participant is not resolved, ' + 'polling waits are 80 % fixed, 20 % random, up to the poll cap',
  async () => {
    const top = virtualDeps(() => reply(404));
    const result = await flagParticipant(
      request,
      policy,
      { startedAt: top.start, deadline: top.start + 8000, requestId: 'r' },
      top.deps,
    );
    expect(result.status).toBe('PARTICIPANT_NOT_FOUND');
    expect(top.sleeps.slice(0, 5)).toEqual([149, 299, 559, 559, 559]);

    const bottom = virtualDeps(() => reply(404));
    bottom.deps.random = () => 0;
    await flagParticipant(
      request,
      policy,
      { startedAt: bottom.start, deadline: bottom.start + 8000, requestId: 'r' },
      bottom.deps,
    );
    expect(bottom.sleeps.slice(0, 5)).toEqual([120, 240, 448, 448, 448]);
    // Never more than one request per 80 % of a poll window: bounded use of the org's rate limit.
    expect(bottom.calls()).toBeLessThanOrEqual(Math.ceil(8000 / 448) + 3);
  },
);

test('a Retry-After longer than the backoff is waited exactly', async () => {
  const v = virtualDeps((n) => (n === 1 ? reply(429, { 'retry-after': '2' }) : reply(202)));
  const result = await flagParticipant(
    request,
    policy,
    { startedAt: v.start, deadline: v.start + 8000, requestId: 'r' },
    v.deps,
  );
  expect(result).toMatchObject({ status: 'UPDATED', attempts: 2 });
  expect(v.sleeps).toEqual([2000]);
});

test('a 401 is retried at once with a fresh token, not after a backoff', async () => {
  const v = virtualDeps((n) => (n === 1 ? reply(401) : reply(202)));
  let invalidated = 0;
  v.deps.tokens.invalidate = () => {
    invalidated += 1;
  };
  const result = await flagParticipant(
    request,
    policy,
    { startedAt: v.start, deadline: v.start + 8000, requestId: 'r' },
    v.deps,
  );
  expect(result).toMatchObject({ status: 'UPDATED', attempts: 2 });
  expect(v.sleeps).toEqual([]);
  expect(invalidated).toBe(1);
});

test('the attempt timeout shrinks to the time left before the deadline', async () => {
  const timeouts: number[] = [];
  const v = virtualDeps(() => reply(503));
  const send = v.deps.http;
  v.deps.http = async (req) => {
    timeouts.push(req.timeoutMs);
    return send(req);
  };
  await flagParticipant(request, policy, { startedAt: v.start, deadline: v.start + 1500, requestId: 'r' }, v.deps);
  expect(timeouts[0]).toBe(1500);
  expect(timeouts.every((ms) => ms <= 1500)).toBe(true);
  expect(timeouts.at(-1)).toBeLessThan(1500);
});

test('a retry cut short by the deadline reports the earlier answer, not TIMEOUT', async () => {
  const v = virtualDeps((n) => (n === 1 ? reply(404) : { kind: 'network', reason: 'aborted', code: 'DEADLINE' }));
  const result = await flagParticipant(
    request,
    policy,
    { startedAt: v.start, deadline: v.start + 8000, requestId: 'r' },
    v.deps,
  );
  expect(result).toMatchObject({ status: 'PARTICIPANT_NOT_FOUND', attempts: 2, httpStatus: 404 });
});

test('an attempt with no answer before the deadline is TIMEOUT', async () => {
  const v = virtualDeps(() => ({ kind: 'network', reason: 'aborted', code: 'DEADLINE' }));
  const result = await flagParticipant(
    request,
    policy,
    { startedAt: v.start, deadline: v.start + 8000, requestId: 'r' },
    v.deps,
  );
  expect(result).toMatchObject({ status: 'TIMEOUT', attempts: 1, httpStatus: 0 });
});

test('no retry is started with less than the minimum attempt window left', async () => {
  const v = virtualDeps(() => reply(503));
  const shortWaits = { ...policy, backoff: { baseMs: 1, capMs: 1 }, minAttemptMs: 100 }; // waits of 1 ms
  const result = await flagParticipant(
    request,
    shortWaits,
    { startedAt: v.start, deadline: v.start + 250, requestId: 'r' },
    v.deps,
  );
  // 20 ms per request and 1 ms per wait: tries at 0, 21, 42, ..., stops once fewer than 100 ms would remain.
  expect(result.status).toBe('UPSTREAM_ERROR');
  expect(v.elapsed()).toBeGreaterThan(250 - 100 - 21);
  expect(v.elapsed()).toBeLessThanOrEqual(250 - 100 + 20);
});

test('Retry-After: 0 on every answer waits the backoff schedule, not zero', async () => {
  const v = virtualDeps(() => reply(429, { 'retry-after': '0' }));
  v.deps.random = () => 0; // the shortest waits the schedule allows
  const result = await flagParticipant(
    request,
    policy,
    { startedAt: v.start, deadline: v.start + 3000, requestId: 'r' },
    v.deps,
  );
  expect(result.status).toBe('RATE_LIMITED');
  expect(v.sleeps.slice(0, 6)).toEqual([50, 100, 200, 400, 500, 500]);
  expect(v.sleeps.every((ms) => ms >= 50)).toBe(true);
  expect(result.attempts).toBe(v.calls());
  expect(result.attempts).toBeLessThanOrEqual(attemptBound(policy, 3000));
});

test('a token endpoint answering 429 with Retry-After: 0 is retried on the schedule too', async () => {
  const v = virtualDeps(() => reply(202));
  v.deps.random = () => 0;
  let tokenRequests = 0;
  v.deps.tokens.get = async () => {
    tokenRequests += 1;
    return {
      ok: false,
      error: { kind: 'throttled', reason: 'token request rate-limited', status: 429, retryAfterMs: 0 },
    };
  };
  const result = await flagParticipant(
    request,
    policy,
    { startedAt: v.start, deadline: v.start + 3000, requestId: 'r' },
    v.deps,
  );
  expect(result).toMatchObject({ status: 'RATE_LIMITED', attempts: 0, httpStatus: 429 });
  expect(v.sleeps.every((ms) => ms >= 50)).toBe(true);
  expect(tokenRequests).toBe(v.sleeps.length + 1);
  expect(tokenRequests).toBeLessThanOrEqual(attemptBound(policy, 3000));
});

test('a secret that cannot be read before the deadline ends the flag at once', async () => {
  const v = virtualDeps(() => reply(202));
  v.deps.tokens.get = async () => ({
    ok: false,
    error: {
      kind: 'upstream',
      reason: 'Secrets Manager GetSecretValue failed: ThrottlingException',
      status: 0,
      retryAfterMs: 10_000,
    },
  });
  const result = await flagParticipant(
    request,
    policy,
    { startedAt: v.start, deadline: v.start + 8000, requestId: 'r' },
    v.deps,
  );
  expect(result).toMatchObject({ status: 'UPSTREAM_ERROR', attempts: 0 });
  expect(v.sleeps).toEqual([]);
});

describe('a lookup whose reply names the participant with an id that is not a UUID', () => {
  const conversationOnly = {
    conversationId: request.conversationId,
    participantPurpose: 'customer',
    attributes: request.attributes,
  };
  test.each(['..', '.', 'x'.repeat(5000), `${request.participantId}/../x`])(
    '%#: is an upstream fault, retried, never sent nor echoed',
    async (hostile) => {
      const sent: string[] = [];
      const v = virtualDeps(() => reply(200));
      v.deps.http = async (req) => {
        sent.push(`${req.method} ${req.url}`);
        return {
          kind: 'response',
          status: 200,
          headers: {},
          body: JSON.stringify({ participants: [{ id: hostile, purpose: 'customer' }] }),
          truncated: false,
        };
      };
      const result = await flagParticipant(
        conversationOnly,
        policy,
        { startedAt: v.start, deadline: v.start + 1000, requestId: 'r' },
        v.deps,
      );
      expect(result).toMatchObject({
        status: 'UPSTREAM_ERROR',
        participantId: '',
        message: 'Genesys listed the participant with an id that is not a UUID',
      });
      expect(sent.length).toBeGreaterThan(1);
      expect(sent.every((line) => line === `GET http://x/api/v2/conversations/${request.conversationId}`)).toBe(true);
    },
  );

  test('a conversation reply cut at its size limit is an upstream fault too', async () => {
    const v = virtualDeps(() => reply(200));
    v.deps.http = async () => ({
      kind: 'response',
      status: 200,
      headers: {},
      body: '{"participants":[',
      truncated: true,
    });
    const result = await flagParticipant(
      conversationOnly,
      policy,
      { startedAt: v.start, deadline: v.start + 500, requestId: 'r' },
      v.deps,
    );
    expect(result).toMatchObject({ status: 'UPSTREAM_ERROR', message: expect.stringContaining('larger than') });
  });
});
