/**
 * The use case (flag, refuse, prefetch) over a container built from fakes: a scripted secret source,
 * Genesys as HTTP answers, a virtual clock. What each call returns and logs (one line per result,
 * never a secret, a token or an attribute value), and prefetchWithin's bound and its log lines.
 */
import { AbortedError } from '../../lib/deadline';
import { createFlagger, prefetchWithin, type PrefetchRead } from '../../lib/flagger';
import type { ContainerDeps } from '../../lib/container';
import type { HttpReply } from '../../lib/genesys/api-client';
import {
  ACCESS_TOKEN,
  ATTRIBUTE_SENTINEL,
  captureLogger,
  CLIENT_SECRET,
  CONVERSATION_ID,
  CREDENTIALS,
  CREDENTIALS_SECRET_ID,
  fakeGenesys,
  PARTICIPANT_ID,
  virtualClock,
  fakeContainerDeps,
} from './fakes';

const ENV = { GENESYS_CREDENTIALS_SECRET_ID: CREDENTIALS_SECRET_ID };
/** Genesys failing every PATCH: a flag then retries up to its deadline, on the virtual clock. */
const unavailable = (): HttpReply => ({ kind: 'response', status: 503, headers: {}, body: '', truncated: false });
const EVENT = {
  conversationId: CONVERSATION_ID,
  participantId: PARTICIPANT_ID,
  verification_method: ATTRIBUTE_SENTINEL,
};

function setup(env: Record<string, string> = ENV, deps: Partial<ContainerDeps> = {}) {
  const { clock, secrets, genesys, log, deps: fakes } = fakeContainerDeps({ [CREDENTIALS_SECRET_ID]: CREDENTIALS });
  const flagger = createFlagger(env, { ...fakes, ...deps });
  const leaks = (text: string) =>
    [CLIENT_SECRET, ACCESS_TOKEN, ATTRIBUTE_SENTINEL].filter((secret) => text.includes(secret));
  return { flagger, clock, secrets, genesys, log, leaks };
}

describe('flag', () => {
  test('UPDATED, with one log line carrying the counts, the keys (never the values) and the metrics', async () => {
    const s = setup();
    const result = await s.flagger.flag(EVENT, { requestId: 'req-1', logFields: { messageId: 'm-1' } });
    expect(result).toEqual({
      status: 'UPDATED',
      updated: true,
      attempts: 1,
      httpStatus: 202,
      elapsedMs: 0,
      message: 'attributes set',
      correlationId: 'req-1',
      participantId: PARTICIPANT_ID,
    });
    const lines = s.log.lines.filter((l) => l.status !== undefined);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        message: 'flagged',
        requestId: 'req-1',
        status: 'UPDATED',
        conversationId: CONVERSATION_ID,
        attributeKeys: ['verification_method'],
        messageId: 'm-1',
        reason: 'attributes set',
        Status: 'UPDATED',
        Flags: 1,
      }),
    ]);
    expect(lines[0]).toHaveProperty('_aws');
    expect(s.leaks(s.log.text())).toEqual([]);
    expect(s.leaks(JSON.stringify(result))).toEqual([]);
  });

  test('an invalid configuration is CONFIG_ERROR with its reason, and nothing is read or sent', async () => {
    const s = setup({});
    const result = await s.flagger.flag(EVENT, { requestId: 'r' });
    expect(result).toMatchObject({
      status: 'CONFIG_ERROR',
      attempts: 0,
      message: 'configuration: GENESYS_CREDENTIALS_SECRET_ID is not set (nor GENESYS_TOKEN_SECRET_ID)',
    });
    expect(s.secrets.reads).toEqual([]);
    expect(s.genesys.requests).toEqual([]);
    expect(s.log.lines.map((l) => l.message)).toEqual(['configuration invalid', 'not flagged']);
  });

  test.each([
    ['not an object', 'flag me'],
    ['a bad conversation id', { ...EVENT, conversationId: '../../users' }],
    ['no attribute', { conversationId: CONVERSATION_ID }],
  ])('an event that is %s is INVALID_INPUT, before anything is read or sent', async (_case, event) => {
    const s = setup();
    const result = await s.flagger.flag(event, { requestId: 'r' });
    expect(result).toMatchObject({ status: 'INVALID_INPUT', attempts: 0, httpStatus: 0, correlationId: 'r' });
    expect(s.secrets.reads).toEqual([]);
    expect(s.genesys.requests).toEqual([]);
    expect(s.log.lines).toEqual([expect.objectContaining({ level: 'warn', message: 'not flagged' })]);
  });

  test('a bug is a logged UPSTREAM_ERROR, never an exception; the log has its name, not its message', async () => {
    const s = setup(ENV, {
      http: async () => {
        throw new TypeError(`a bug quoting ${CLIENT_SECRET}`);
      },
    });
    const result = await s.flagger.flag(EVENT, { requestId: 'r' });
    expect(result).toMatchObject({
      status: 'UPSTREAM_ERROR',
      updated: false,
      message: 'unexpected internal error; see the function log for this correlationId',
      correlationId: 'r',
    });
    expect(s.log.lines.find((l) => l.message === 'unexpected error')).toMatchObject({
      requestId: 'r',
      error: { name: 'TypeError' },
    });
    expect(s.leaks(s.log.text())).toEqual([]);
  });

  test("the deadline is the Lambda's remaining time less the safety margin when that is shorter", async () => {
    const failing = setup(ENV, { http: fakeGenesys({ patch: unavailable }).http });
    const result = await failing.flagger.flag(EVENT, { requestId: 'r', remainingMs: 2000 });
    expect(result.status).toBe('UPSTREAM_ERROR');
    expect(result.elapsedMs).toBeLessThanOrEqual(2000 - 500);
    expect(failing.clock.sleeps.length).toBeGreaterThan(0);
  });
});

describe('refuse', () => {
  test("INVALID_INPUT with the reason, logged with the door's fields", () => {
    const s = setup();
    const result = s.flagger.refuse('the message body is not a string', {
      requestId: 'r',
      logFields: { messageId: 'm' },
    });
    expect(result).toEqual({
      status: 'INVALID_INPUT',
      updated: false,
      attempts: 0,
      httpStatus: 0,
      elapsedMs: 0,
      message: 'the message body is not a string',
      correlationId: 'r',
      participantId: '',
    });
    expect(s.log.lines).toEqual([
      expect.objectContaining({ message: 'not flagged', messageId: 'm', reason: 'the message body is not a string' }),
    ]);
  });
});

describe('prefetch', () => {
  test('the secret and a token are read ahead: the first flag is one request, the PATCH', async () => {
    const s = setup();
    await s.flagger.prefetch();
    expect(s.genesys.requests.map((r) => r.url)).toEqual(['https://login.mypurecloud.ie/oauth/token']);
    expect(s.log.lines).toEqual([expect.objectContaining({ message: 'prefetched' })]);
    await s.flagger.flag(EVENT, { requestId: 'r' });
    expect(s.genesys.requests.map((r) => r.method)).toEqual(['POST', 'PATCH']);
    expect(s.secrets.reads).toHaveLength(1);
  });

  test("a door's own reads run alongside, with the same bound, each logged on its own", async () => {
    const s = setup();
    const signals: AbortSignal[] = [];
    const read: PrefetchRead = async (signal) => {
      signals.push(signal);
      return { ok: false, error: { kind: 'config', reason: 'no such secret' } };
    };
    await s.flagger.prefetch([read, read]);
    expect(signals).toHaveLength(2);
    expect(s.log.lines.map((l) => l.message).sort()).toEqual([
      'prefetch incomplete: the first invocation fetches what is missing',
      'prefetch incomplete: the first invocation fetches what is missing',
      'prefetched',
    ]);
  });

  test('with an invalid configuration nothing is read', async () => {
    const s = setup({});
    const read = jest.fn<ReturnType<PrefetchRead>, Parameters<PrefetchRead>>();
    await s.flagger.prefetch([read]);
    expect(read).not.toHaveBeenCalled();
    expect(s.secrets.reads).toEqual([]);
  });

  test("after an on-demand init, the prefetch's time is taken from the first flag's deadline", async () => {
    const clock = virtualClock();
    // The token request takes 3 virtual seconds; every PATCH fails, so a flag runs to its deadline.
    const genesys = fakeGenesys({ patch: unavailable });
    const http: ContainerDeps['http'] = async (request) => {
      if (request.url.endsWith('/oauth/token')) clock.advance(3000);
      return genesys.http(request);
    };
    const s = setup(
      { ...ENV, AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' },
      { http, now: clock.now, sleep: clock.sleep, initStartedAt: clock.now() },
    );
    await s.flagger.prefetch();
    const first = await s.flagger.flag(EVENT, { requestId: 'first' });
    expect(first.status).toBe('UPSTREAM_ERROR');
    expect(first.elapsedMs).toBeLessThanOrEqual(8000 - 3000);
    const second = await s.flagger.flag(EVENT, { requestId: 'second' });
    expect(second.elapsedMs).toBeGreaterThan(8000 - 3000);
  });
});

describe('prefetchWithin', () => {
  const incomplete = 'prefetch incomplete: the first invocation fetches what is missing';

  test('a budget of 0 (or less) reads nothing', async () => {
    const log = captureLogger();
    const read = jest.fn<ReturnType<PrefetchRead>, Parameters<PrefetchRead>>();
    await prefetchWithin(0, () => 0, log.logger, read);
    await prefetchWithin(-1, () => 0, log.logger, read);
    expect(read).not.toHaveBeenCalled();
    expect(log.lines).toEqual([]);
  });

  test('a read that succeeds is logged with its time on the clock given', async () => {
    const log = captureLogger();
    const clock = virtualClock();
    await prefetchWithin(1000, clock.now, log.logger, async () => {
      clock.advance(120);
      return { ok: true, value: 'anything' };
    });
    expect(log.lines).toEqual([expect.objectContaining({ level: 'info', message: 'prefetched', elapsedMs: 120 })]);
  });

  test("a read that fails is a warning with the failure's kind and reason", async () => {
    const log = captureLogger();
    await prefetchWithin(
      1000,
      () => 0,
      log.logger,
      async () => ({
        ok: false,
        error: { kind: 'unavailable', reason: 'Secrets Manager GetSecretValue failed: ThrottlingException' },
      }),
    );
    expect(log.lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: incomplete,
        kind: 'unavailable',
        reason: 'Secrets Manager GetSecretValue failed: ThrottlingException',
        elapsedMs: 0,
      }),
    ]);
  });

  test('a read that outlasts the budget is cut by its signal: a warning, kind "deadline"', async () => {
    const log = captureLogger();
    let seen: AbortSignal | undefined;
    await prefetchWithin(
      20,
      Date.now,
      log.logger,
      (signal) =>
        new Promise((_resolve, reject) => {
          seen = signal;
          signal.addEventListener('abort', () => reject(new AbortedError()));
        }),
    );
    expect(seen?.aborted).toBe(true);
    expect(log.lines).toEqual([expect.objectContaining({ level: 'warn', message: incomplete, kind: 'deadline' })]);
  });

  test('anything thrown, even at once, is logged as a bug by name, never rethrown', async () => {
    const log = captureLogger();
    const sync: PrefetchRead = () => {
      throw new RangeError(`quoting ${CLIENT_SECRET}`);
    };
    await expect(prefetchWithin(1000, () => 0, log.logger, sync)).resolves.toBeUndefined();
    await prefetchWithin(
      1000,
      () => 0,
      log.logger,
      async () => {
        throw 'a string';
      },
    );
    expect(log.lines).toEqual([
      expect.objectContaining({
        level: 'error',
        message: 'unexpected error',
        during: 'prefetch',
        error: expect.objectContaining({ name: 'RangeError' }),
      }),
      expect.objectContaining({
        level: 'error',
        message: 'unexpected error',
        during: 'prefetch',
        error: { name: 'string' },
      }),
    ]);
    expect(log.text()).not.toContain(CLIENT_SECRET);
  });

  test('a read that ended leaves no timer behind: its signal never aborts afterwards', async () => {
    let seen: AbortSignal | undefined;
    await prefetchWithin(10, Date.now, captureLogger().logger, async (signal) => {
      seen = signal;
      return { ok: true, value: undefined };
    });
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(seen?.aborted).toBe(false);
  });
});
