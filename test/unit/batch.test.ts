/**
 * The queue door's rules: which records of an SQS event can be flagged and reported, how a batch is
 * flagged (bounded concurrency, paced, each record's remaining time read as it starts), and which
 * message ids come back for redelivery. The flagger is a fake where the rule is the batch's own,
 * and the real one over fakes (createQueueDoor) where the wiring is the point.
 */
import { ANY_BODY, type BodyRules } from '../../lib/config';
import { FLAG_STATUSES, type FlagResult, type FlagStatus } from '../../lib/core/flag-result';
import type { Flagger, Invocation } from '../../lib/flagger';
import type { HttpClient } from '../../lib/genesys/api-client';
import { batchRecords, createQueueDoor, flagBatch, mapWithConcurrency, type BatchRecord } from '../../lib/queue/batch';
import {
  captureLogger,
  CONVERSATION_ID,
  CREDENTIALS,
  CREDENTIALS_SECRET_ID,
  PARTICIPANT_ID,
  virtualClock,
  fakeContainerDeps,
} from './fakes';

const result = (status: FlagStatus, message = ''): FlagResult => ({
  status,
  updated: status === 'UPDATED',
  attempts: 0,
  httpStatus: 0,
  elapsedMs: 0,
  message,
  correlationId: 'c',
  participantId: '',
});

/** A flagger that answers each event's `want` status and records every call. */
function fakeFlagger() {
  const calls: { kind: 'flag' | 'refuse'; subject: unknown; invocation: Invocation }[] = [];
  const flagger: Flagger = {
    flag: async (event, invocation) => {
      calls.push({ kind: 'flag', subject: event, invocation });
      const want = (event as { want?: FlagStatus } | null)?.want;
      return result(want ?? 'UPDATED');
    },
    refuse: (reason, invocation) => {
      calls.push({ kind: 'refuse', subject: reason, invocation });
      return result('INVALID_INPUT', reason);
    },
    prefetch: async () => undefined,
  };
  return { flagger, calls };
}

const record = (id: string, body: unknown): BatchRecord => ({ id, body });
const want = (status: FlagStatus) => JSON.stringify({ want: status });

describe('batchRecords', () => {
  test('each record with a message id, its body as delivered', () => {
    const log = captureLogger();
    const records = batchRecords(
      { Records: [{ messageId: 'm-1', body: '{}' }, { messageId: 'm-2', body: 7 }, { messageId: 'm-3' }] },
      log.logger,
      'r',
    );
    expect(records).toEqual([
      { id: 'm-1', body: '{}' },
      { id: 'm-2', body: 7 },
      { id: 'm-3', body: undefined },
    ]);
    expect(log.lines).toEqual([]);
  });

  test.each([
    ['nothing', undefined],
    ['null', null],
    ['a string', 'Records'],
    ['no Records', {}],
    ['Records that are not a list', { Records: { 0: { messageId: 'm' } } }],
  ])('%s is not a queue event: no record, one error line', (_case, event) => {
    const log = captureLogger();
    expect(batchRecords(event, log.logger, 'r')).toEqual([]);
    expect(log.lines).toEqual([
      expect.objectContaining({ level: 'error', message: 'not a queue event', requestId: 'r' }),
    ]);
  });

  test('a record without a usable message id is dropped and logged by its index, never its id', () => {
    const log = captureLogger();
    const longest = 'i'.repeat(256);
    const tooLong = `<${'x'.repeat(256)}>`;
    const records = batchRecords(
      {
        Records: [
          null,
          'm-0',
          { body: '{}' },
          { messageId: '' },
          { messageId: 42 },
          { messageId: tooLong },
          { messageId: longest, body: 'kept' },
        ],
      },
      log.logger,
      'r',
    );
    expect(records).toEqual([{ id: longest, body: 'kept' }]);
    expect(log.lines.map((l) => [l.message, l.index])).toEqual([
      ['queue record dropped', 0],
      ['queue record dropped', 1],
      ['queue record dropped', 2],
      ['queue record dropped', 3],
      ['queue record dropped', 4],
      ['queue record dropped', 5],
    ]);
    expect(log.text()).not.toContain('xxxx');
  });
});

describe('flagBatch', () => {
  const options = { requestId: 'req', concurrency: 4, bodyRules: ANY_BODY };

  test('every record not UPDATED comes back, in the order of the batch; counts hold every status', async () => {
    const { flagger } = fakeFlagger();
    const outcome = await flagBatch(
      [
        record('a', want('UPDATED')),
        record('b', want('TIMEOUT')),
        record('c', want('UPDATED')),
        record('d', want('RATE_LIMITED')),
        record('e', 'not json'),
      ],
      flagger,
      options,
    );
    expect(outcome.failedIds).toEqual(['b', 'd', 'e']);
    expect(Object.keys(outcome.counts).sort()).toEqual([...FLAG_STATUSES].sort());
    expect(outcome.counts).toMatchObject({ UPDATED: 2, TIMEOUT: 1, RATE_LIMITED: 1, INVALID_INPUT: 1, REJECTED: 0 });
  });

  test('a body the rules refuse is refused with its reason and message id: never flagged, never paced', async () => {
    const { flagger, calls } = fakeFlagger();
    let turns = 0;
    const rules: BodyRules = { plain: false, sources: new Set(['acme.idv']) };
    await flagBatch([record('m-1', want('UPDATED')), record('m-2', undefined)], flagger, {
      ...options,
      bodyRules: rules,
      pace: async () => {
        turns += 1;
      },
    });
    expect(calls.map((c) => [c.kind, c.invocation.logFields])).toEqual([
      ['refuse', { messageId: 'm-1' }],
      ['refuse', { messageId: 'm-2' }],
    ]);
    expect(calls[1]?.subject).toBe('the message body is not a string');
    expect(turns).toBe(0);
  });

  test("each record is flagged with the envelope's detail, its message id, and its time left", async () => {
    const { flagger, calls } = fakeFlagger();
    let remaining = 9000;
    const envelope = JSON.stringify({ 'detail-type': 'Identity Verified', source: 's', detail: { want: 'UPDATED' } });
    await flagBatch([record('m-1', envelope), record('m-2', want('UPDATED'))], flagger, {
      ...options,
      concurrency: 1,
      remainingMs: () => {
        remaining -= 1000;
        return remaining;
      },
    });
    expect(calls.map((c) => [c.subject, c.invocation])).toEqual([
      [
        { want: 'UPDATED' },
        { requestId: 'req', remainingMs: 8000, logFields: { messageId: 'm-1', envelope: 'eventbridge' } },
      ],
      [
        { want: 'UPDATED' },
        { requestId: 'req', remainingMs: 7000, logFields: { messageId: 'm-2', envelope: 'plain' } },
      ],
    ]);
  });

  test('outside Lambda (no remaining time), the invocation carries none', async () => {
    const { flagger, calls } = fakeFlagger();
    await flagBatch([record('m', want('UPDATED'))], flagger, options);
    expect(calls[0]?.invocation.remainingMs).toBeUndefined();
  });

  test('the time left is read after the turn: a record that waited for its turn has less', async () => {
    const { flagger, calls } = fakeFlagger();
    const clock = virtualClock(0);
    const end = 10_000;
    await flagBatch([record('a', want('UPDATED')), record('b', want('UPDATED'))], flagger, {
      ...options,
      concurrency: 1,
      pace: () => clock.sleep(3000),
      remainingMs: () => end - clock.now(),
    });
    expect(calls.map((c) => c.invocation.remainingMs)).toEqual([7000, 4000]);
  });

  test('one line for the batch, with counts by status; none without a logger', async () => {
    const log = captureLogger();
    const { flagger } = fakeFlagger();
    await flagBatch([record('a', want('UPDATED')), record('b', want('TIMEOUT'))], flagger, {
      ...options,
      logger: log.logger,
    });
    expect(log.lines).toEqual([
      expect.objectContaining({
        message: 'batch done',
        requestId: 'req',
        records: 2,
        failed: 1,
        counts: expect.objectContaining({ UPDATED: 1, TIMEOUT: 1 }),
      }),
    ]);
  });

  test('an empty batch flags nothing and reports nothing', async () => {
    const { flagger, calls } = fakeFlagger();
    expect(await flagBatch([], flagger, options)).toMatchObject({ failedIds: [] });
    expect(calls).toEqual([]);
  });
});

describe('mapWithConcurrency', () => {
  /** `fn` whose calls end only when released; reports how many ran at once. */
  function gated() {
    const pending: (() => void)[] = [];
    let inFlight = 0;
    let peak = 0;
    const fn = (item: number) =>
      new Promise<number>((resolve) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        pending.push(() => {
          inFlight -= 1;
          resolve(item * 10);
        });
      });
    const releaseAll = async () => {
      while (pending.length > 0) {
        pending.shift()?.();
        await new Promise((r) => setImmediate(r));
      }
    };
    return { fn, releaseAll, peak: () => peak };
  }

  test.each([
    [1, 1],
    [3, 3],
    [7, 7],
    [50, 7],
  ])('a limit of %i runs at most %i of 7 at once, results in order', async (limit, expectedPeak) => {
    const g = gated();
    const done = mapWithConcurrency([1, 2, 3, 4, 5, 6, 7], limit, g.fn);
    await g.releaseAll();
    expect(await done).toEqual([10, 20, 30, 40, 50, 60, 70]);
    expect(g.peak()).toBe(expectedPeak);
  });

  // NaN is no limit at all: it must not start zero workers and leave every result unset.
  test.each([0, -1, Number.NaN])('a limit of %p still runs everything, one at a time', async (limit) => {
    const g = gated();
    const done = mapWithConcurrency([1, 2, 3], limit, g.fn);
    await g.releaseAll();
    expect(await done).toEqual([10, 20, 30]);
    expect(g.peak()).toBe(1);
  });

  test('no items: fn is never called', async () => {
    const fn = jest.fn(async (n: number) => n);
    expect(await mapWithConcurrency([], 5, fn)).toEqual([]);
    expect(fn).not.toHaveBeenCalled();
  });

  test('a rejection rejects the whole', async () => {
    await expect(
      mapWithConcurrency([1, 2], 2, async (n) => {
        if (n === 2) throw new Error('boom');
        return n;
      }),
    ).rejects.toThrow('boom');
  });
});

describe('createQueueDoor: the door as a container builds it', () => {
  /** `wrap`: what stands between the door and the fake Genesys (to watch or slow its requests). */
  function door(env: Record<string, string> = {}, wrap: (http: HttpClient) => HttpClient = (http) => http) {
    const { clock, secrets, genesys, log, deps } = fakeContainerDeps({ [CREDENTIALS_SECRET_ID]: CREDENTIALS });
    const queueDoor = createQueueDoor(
      { GENESYS_CREDENTIALS_SECRET_ID: CREDENTIALS_SECRET_ID, ...env },
      { ...deps, http: wrap(genesys.http) },
    );
    return { queueDoor, genesys, log, secrets, clock };
  }
  const flagBody = JSON.stringify({
    conversationId: CONVERSATION_ID,
    participantId: PARTICIPANT_ID,
    risk_level: 'low',
  });

  test('an SQS event in, the ids to redeliver out', async () => {
    const d = door();
    const outcome = await d.queueDoor.handle(
      { Records: [{ messageId: 'ok', body: flagBody }, { messageId: 'bad', body: '{' }, { body: flagBody }] },
      { requestId: 'r', remainingMs: () => 10_000 },
    );
    expect(outcome.failedIds).toEqual(['bad']);
    expect(outcome.counts).toMatchObject({ UPDATED: 1, INVALID_INPUT: 1 });
    expect(d.genesys.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
    expect(d.log.lines.map((l) => l.message)).toEqual(
      expect.arrayContaining(['queue record dropped', 'flagged', 'not flagged', 'batch done']),
    );
  });

  test("the door's pacing waits on the container's sleep: record starts spaced on the injected clock", async () => {
    const d = door({ BATCH_START_INTERVAL_MS: '5000', BATCH_CONCURRENCY: '3' });
    const records = ['a', 'b', 'c'].map((messageId) => ({ messageId, body: flagBody }));
    const outcome = await d.queueDoor.handle({ Records: records }, { requestId: 'r', remainingMs: () => 60_000 });
    expect(outcome.failedIds).toEqual([]);
    // Three starts 5 s apart: two waits, on the virtual clock, not on the wall clock.
    expect(d.clock.sleeps.filter((ms) => ms === 5000)).toHaveLength(2);
  });

  test("the stack's body rules apply: a plain body is refused where only envelopes are taken", async () => {
    const d = door({ QUEUE_ACCEPTS: 'eventbridge', EVENT_SOURCES: 'acme.idv' });
    const outcome = await d.queueDoor.handle({ Records: [{ messageId: 'm', body: flagBody }] }, { requestId: 'r' });
    expect(outcome.failedIds).toEqual(['m']);
    expect(d.genesys.requests).toEqual([]);
  });

  test('BATCH_CONCURRENCY bounds the records in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    // Each PATCH yields to the event loop, so that records flagged concurrently overlap.
    const watched =
      (http: HttpClient): HttpClient =>
      async (request) => {
        if (request.method !== 'PATCH') return http(request);
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setImmediate(r));
        inFlight -= 1;
        return http(request);
      };
    const d = door({ BATCH_CONCURRENCY: '2' }, watched);
    const records = [1, 2, 3, 4, 5].map((i) => ({ messageId: `m-${i}`, body: flagBody }));
    expect((await d.queueDoor.handle({ Records: records }, { requestId: 'r' })).failedIds).toEqual([]);
    expect(peak).toBe(2);
  });

  test('its prefetch reads the secret and a token; a broken event never throws', async () => {
    const d = door();
    await d.queueDoor.prefetch();
    expect(d.secrets.reads).toHaveLength(1);
    await expect(d.queueDoor.handle('not an event', { requestId: 'r' })).resolves.toMatchObject({ failedIds: [] });
  });
});
