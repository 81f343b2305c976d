/**
 * The prefetch a door runs during a Lambda init: the secret and a token ahead of traffic, bounded
 * in time, never failing the init, and never leaving a failure behind for the first invocation.
 */
import { createContainer } from '../../lib/container';
import { flaggerOf } from '../../lib/flagger';
import { createWebhook } from '../../lib/http/flag-endpoint';
import { createLogger } from '../../lib/log';
import { SECRET_NAME } from '../support/emulator-env';
import { invocation, newConversation, startHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const reads = (secretId: string) =>
  h.secrets.requests.filter((r) => r.secretId === secretId && r.operation === 'GetSecretValue').length;

test('after a prefetch, the first flag is one request: the PATCH', async () => {
  const flagger = h.flagger();
  await flagger.prefetch();
  const tokensBefore = h.genesys.count('token');
  const c = newConversation(h.genesys);
  const before = h.genesys.requests.length;
  const result = await flagger.flag({ ...c, risk_level: '1' }, invocation());
  expect(result).toMatchObject({ status: 'UPDATED', attempts: 1 });
  expect(h.genesys.requests.slice(before).map((r) => r.route)).toEqual(['patch-attributes']);
  expect(h.genesys.count('token')).toBe(tokensBefore);
});

/** Lets the event loop deliver a socket's close to the emulator. */
const settle = () => new Promise((r) => setTimeout(r, 50));

test(
  'a hung secret read ends the prefetch at its bound, abandoned rather than left running; ' +
    'the first flag reads again',
  async () => {
    const flagger = h.flagger({ FLAG_INIT_PREFETCH_MS: '300', FLAG_ATTEMPT_TIMEOUT_MS: '2000' });
    const readsBefore = reads(SECRET_NAME);
    h.secrets.script([{ hang: true }]);
    const started = Date.now();
    await expect(flagger.prefetch()).resolves.toBeUndefined();
    const ended = Date.now();
    expect(ended - started).toBeLessThan(600);
    await settle();
    const hung = h.secrets.requests.filter((r) => r.secretId === SECRET_NAME).at(-1);
    expect(hung?.abandonedAt).toBeDefined();
    // left running, it would last the 2 s attempt timeout
    expect(hung?.abandonedAt ?? Infinity).toBeLessThanOrEqual(ended + 500);

    const result = await flagger.flag({ ...newConversation(h.genesys), risk_level: '1' }, invocation());
    expect(result.status).toBe('UPDATED');
    expect(reads(SECRET_NAME)).toBe(readsBefore + 2);
  },
);

test('a hung token request ends the prefetch at its bound, abandoned; the first flag gets a token itself', async () => {
  const flagger = h.flagger({ FLAG_INIT_PREFETCH_MS: '300', FLAG_ATTEMPT_TIMEOUT_MS: '2000' });
  h.genesys.script('token', [{ hang: true }]);
  const tokensBefore = h.genesys.arrivals.filter((r) => r.route === 'token').length;
  const started = Date.now();
  await expect(flagger.prefetch()).resolves.toBeUndefined();
  const ended = Date.now();
  expect(ended - started).toBeLessThan(600);
  await settle();
  const hung = h.genesys.arrivals.filter((r) => r.route === 'token').at(-1);
  // left running, it would last the 2 s attempt timeout
  expect(hung?.abandonedAt ?? Infinity).toBeLessThanOrEqual(ended + 500);

  const before = h.genesys.arrivals.length;
  const result = await flagger.flag({ ...newConversation(h.genesys), risk_level: '1' }, invocation());
  expect(result).toMatchObject({ status: 'UPDATED', attempts: 1 });
  // A new grant at once: not a wait for the abandoned one.
  expect(h.genesys.arrivals.slice(before).map((r) => r.route)).toEqual(['token', 'patch-attributes']);
  expect(h.genesys.arrivals.filter((r) => r.route === 'token').length).toBe(tokensBefore + 2);
});

test('a failed prefetch is not remembered: the first invocation reads the secret itself', async () => {
  // A minimum refresh interval that would otherwise keep the failure for a minute.
  const flagger = h.flagger({ SECRET_MIN_REFRESH_INTERVAL_MS: '60000' });
  const readsBefore = reads(SECRET_NAME);
  h.secrets.script([{ error: 'ThrottlingException' }]);
  await flagger.prefetch();
  expect(reads(SECRET_NAME)).toBe(readsBefore + 1);
  const result = await flagger.flag({ ...newConversation(h.genesys), risk_level: '1' }, invocation());
  expect(result.status).toBe('UPDATED');
  expect(reads(SECRET_NAME)).toBe(readsBefore + 2);
});

test(
  'a bug met during the prefetch is logged as one (an error line), never taken for the end of its budget; ' +
    'the init goes on',
  async () => {
    const lines: string[] = [];
    const flagger = h.flagger(
      {},
      {
        logger: createLogger({ sink: (line) => lines.push(line) }),
        secretSource: { fetch: async () => Promise.reject(new TypeError('a bug in the secret source')) },
      },
    );
    await expect(flagger.prefetch()).resolves.toBeUndefined();
    const logged = lines.map(
      (line) => JSON.parse(line) as { level: string; message: string; during?: string; error?: { name: string } },
    );
    expect(logged.filter((l) => l.level === 'error')).toEqual([
      expect.objectContaining({
        message: 'unexpected error',
        during: 'prefetch',
        error: expect.objectContaining({ name: 'TypeError' }),
      }),
    ]);
    expect(lines.join('\n')).not.toContain('a bug in the secret source'); // the name and frames, not the message
    expect(logged.some((l) => l.message.startsWith('prefetch incomplete'))).toBe(false);
  },
);

test('FLAG_INIT_PREFETCH_MS=0 prefetches nothing', async () => {
  const readsBefore = reads(SECRET_NAME);
  const tokensBefore = h.genesys.count('token');
  await h.flagger({ FLAG_INIT_PREFETCH_MS: '0' }).prefetch();
  expect(reads(SECRET_NAME)).toBe(readsBefore);
  expect(h.genesys.count('token')).toBe(tokensBefore);
});

test("the webhook's prefetch also reads its bearer token's secret", async () => {
  h.secrets.put('webhook/prefetch-token', 'a-webhook-token-for-prefetch');
  const webhook = createWebhook(
    { ...h.env, WEBHOOK_TOKEN_SECRET_ID: 'webhook/prefetch-token' },
    { logger: createLogger({ sink: () => undefined }) },
  );
  await webhook.prefetch();
  expect(reads('webhook/prefetch-token')).toBe(1);
  const c = newConversation(h.genesys);
  const response = await webhook.handle(
    {
      method: 'POST',
      headers: { authorization: 'Bearer a-webhook-token-for-prefetch', 'content-type': 'application/json' },
      body: JSON.stringify({ ...c, risk_level: '1' }),
      isBase64Encoded: false,
    },
    invocation(),
  );
  expect(JSON.parse(response.body)).toMatchObject({ status: 'UPDATED', attempts: 1 });
  expect(reads('webhook/prefetch-token')).toBe(1);
});

describe("the init's time and the first invocation's deadline", () => {
  const T = 1_000_000;
  /** A container whose init began `initMs` before it was built (the runtime's start, the module's load). */
  const built = (initType?: string, initMs = 1000) =>
    createContainer(initType ? { ...h.env, AWS_LAMBDA_INITIALIZATION_TYPE: initType } : h.env, {
      now: () => T,
      initStartedAt: T - initMs,
      logger: createLogger({ sink: () => undefined }),
    });

  test('after an on-demand init, the first invocation (and only it) has the init taken from its budget', () => {
    const container = built('on-demand');
    expect(container.deadline({ requestId: 'first', startedAt: T })).toBe(T + 3000 - 1000);
    // the webhook asks twice
    expect(container.deadline({ requestId: 'first', startedAt: T + 5 })).toBe(T + 5 + 3000 - 1000);
    expect(container.deadline({ requestId: 'second', startedAt: T })).toBe(T + 3000);
  });

  test(
    'an init longer than the deadline leaves the first invocation no time at all (TIMEOUT at once), ' + 'never less',
    () => {
      const container = built('on-demand', 5000);
      expect(container.deadline({ requestId: 'first', startedAt: T, remainingMs: 10_000 })).toBe(T);
    },
  );

  test('after a provisioned-concurrency or SnapStart init, or outside Lambda, nothing is taken', () => {
    for (const type of ['provisioned-concurrency', 'snap-start', undefined])
      expect(built(type).deadline({ requestId: 'first', startedAt: T })).toBe(T + 3000);
  });

  test(
    'the first invocation pays for the init whatever it is: ' +
      'one refused as INVALID_INPUT leaves the next its whole budget',
    async () => {
      const container = built('on-demand');
      const refused = await flaggerOf(container).flag({ not: 'an event' }, { requestId: 'first' });
      expect(refused.status).toBe('INVALID_INPUT');
      expect(container.deadline({ requestId: 'second', startedAt: T })).toBe(T + 3000);
    },
  );
});
