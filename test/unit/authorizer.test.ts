/**
 * POST /flag's Lambda authorizer with its dependencies passed in: a scripted secret source, a
 * virtual clock, a logger that keeps its lines. Its verdicts, what it logs (never the token), the
 * budget of its secret read (the Lambda's remaining time less the safety margin), and its prefetch.
 */
import type { SecretFetch } from '../../lib/aws/secret-source';
import { AbortedError } from '../../lib/deadline';
import { authorizationOf, createAuthorizer } from '../../lib/http/authorizer';
import { NUMERIC_SETTINGS } from '../../lib/config';
import { TOKEN_REFRESH_INTERVAL_MS } from '../../lib/http/bearer-auth';
import { captureLogger, fakeSecrets, virtualClock } from './fakes';
import { sensitive } from '../../lib/sensitive';

const TOKEN = 'authorizer-token-sentinel-7c41e0';
const SECRET_ID = 'webhook/token';
const ENV = { WEBHOOK_TOKEN_SECRET_ID: SECRET_ID };

const eventWith = (authorization?: string) => ({
  version: '2.0',
  type: 'REQUEST',
  identitySource: authorization === undefined ? [] : [authorization],
  headers: authorization === undefined ? {} : { authorization },
});

function setup(env: Record<string, string> = ENV) {
  const clock = virtualClock();
  const secrets = fakeSecrets({ [SECRET_ID]: TOKEN });
  const log = captureLogger();
  const authorizer = createAuthorizer(env, { secretSource: secrets.secretSource, now: clock.now, logger: log.logger });
  return { authorizer, clock, secrets, log, reads: () => secrets.readsOf(SECRET_ID) };
}

/** A read that never answers until its signal aborts. */
const hanging = (_id: string, signal: AbortSignal | undefined): Promise<SecretFetch> =>
  new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(new AbortedError())));

describe('authorizationOf: the header of a payload 2.0 event, whatever arrives', () => {
  test('the authorization header first, else the first identity source', () => {
    expect(authorizationOf({ headers: { authorization: 'Bearer a' }, identitySource: ['Bearer b'] })).toBe('Bearer a');
    expect(authorizationOf({ headers: {}, identitySource: ['Bearer b', 'Bearer c'] })).toBe('Bearer b');
    expect(authorizationOf({ headers: { authorization: '' } })).toBe('');
  });

  test.each([
    ['nothing', undefined],
    ['null', null],
    ['a string', 'Bearer a'],
    ['an array', [{ headers: { authorization: 'Bearer a' } }]],
    ['headers that are a string', { headers: 'authorization: Bearer a' }],
    ['headers null', { headers: null }],
    ['a header that is not a string', { headers: { authorization: ['Bearer a'] } }],
    ['a capitalised name (payload 2.0 names are lower case)', { headers: { Authorization: 'Bearer a' } }],
    ['an identity source that is a string', { identitySource: 'Bearer a' }],
    ['an empty identity source', { identitySource: [] }],
    ['an identity source that is not a string', { identitySource: [7] }],
  ])('%s: no header', (_case, event) => {
    expect(authorizationOf(event)).toBeUndefined();
  });
});

describe('verdicts', () => {
  test('the right token is ok, and the log says so without the token', async () => {
    const s = setup();
    expect(await s.authorizer.authorize(eventWith(`Bearer ${TOKEN}`), { requestId: 'r1' })).toBe('ok');
    expect(s.log.lines).toEqual([expect.objectContaining({ message: 'webhook request authorized', requestId: 'r1' })]);
    expect(s.log.text()).not.toContain(TOKEN);
  });

  test('a wrong or missing token is denied; the reason says only which, never the token', async () => {
    const s = setup();
    const wrong = 'wrong-token-sentinel-00000000';
    expect(await s.authorizer.authorize(eventWith(`Bearer ${wrong}`), { requestId: 'r1' })).toBe('denied');
    expect(await s.authorizer.authorize(eventWith(), { requestId: 'r2' })).toBe('denied');
    expect(await s.authorizer.authorize({}, { requestId: 'r3' })).toBe('denied');
    expect(s.log.lines.map((l) => [l.level, l.message, l.requestId, l.reason])).toEqual([
      ['warn', 'webhook request denied', 'r1', 'wrong token'],
      ['warn', 'webhook request denied', 'r2', 'no bearer token'],
      ['warn', 'webhook request denied', 'r3', 'no bearer token'],
    ]);
    expect(s.log.text()).not.toContain(wrong);
    expect(s.log.text()).not.toContain(TOKEN);
  });

  test('without WEBHOOK_TOKEN_SECRET_ID every request is unavailable, and no secret is read', async () => {
    const s = setup({});
    expect(await s.authorizer.authorize(eventWith(`Bearer ${TOKEN}`), { requestId: 'r' })).toBe('unavailable');
    expect(s.secrets.reads).toEqual([]);
    expect(s.log.lines.map((l) => [l.level, l.message, l.reason])).toEqual([
      ['error', 'configuration invalid', 'WEBHOOK_TOKEN_SECRET_ID is not set'],
      ['error', 'webhook authentication unavailable', undefined],
    ]);
  });

  test('an invalid setting is logged, and the defaults stand in: the check still works', async () => {
    const s = setup({ ...ENV, FLAG_ATTEMPT_TIMEOUT_MS: 'soon' });
    expect(s.log.lines[0]).toMatchObject({
      level: 'error',
      message: 'configuration invalid',
      reason: expect.stringContaining('FLAG_ATTEMPT_TIMEOUT_MS'),
    });
    expect(await s.authorizer.authorize(eventWith(`Bearer ${TOKEN}`), { requestId: 'r' })).toBe('ok');
  });

  test('a bug while checking is unavailable, logged by name: never access, never the message', async () => {
    const s = setup();
    s.secrets.answer = async () => {
      throw new TypeError(`a bug quoting ${TOKEN}`);
    };
    expect(await s.authorizer.authorize(eventWith(`Bearer ${TOKEN}`), { requestId: 'r' })).toBe('unavailable');
    expect(s.log.lines.map((l) => l.message)).toEqual(['unexpected error', 'webhook authentication unavailable']);
    expect(s.log.lines[0]).toMatchObject({ error: { name: 'TypeError' } });
    expect(s.log.text()).not.toContain(TOKEN);
  });
});

describe('the secret read: cached, and bounded by the Lambda time left', () => {
  test('the token is cached for its maximum age; a flood of wrong tokens re-reads at most once a minute', async () => {
    const s = setup();
    await s.authorizer.authorize(eventWith(`Bearer ${TOKEN}`), { requestId: 'r' });
    for (let i = 0; i < 10; i += 1)
      await s.authorizer.authorize(eventWith(`Bearer wrong-${i}-000000000000`), { requestId: 'r' });
    expect(s.reads()).toBe(1);
    s.clock.advance(TOKEN_REFRESH_INTERVAL_MS);
    for (let i = 0; i < 10; i += 1)
      await s.authorizer.authorize(eventWith(`Bearer wrong-${i}-000000000000`), { requestId: 'r' });
    expect(s.reads()).toBe(2);
    s.clock.advance(NUMERIC_SETTINGS.secretMaxAgeMs.default - 1);
    await s.authorizer.authorize(eventWith(`Bearer ${TOKEN}`), { requestId: 'r' });
    expect(s.reads()).toBe(2);
  });

  test('SECRET_CACHE_MAX_AGE_MS sets its maximum age, as for the webhook, never below a minute', async () => {
    const s = setup({ ...ENV, SECRET_CACHE_MAX_AGE_MS: '600000' });
    await s.authorizer.authorize(eventWith(`Bearer ${TOKEN}`), { requestId: 'r' });
    s.clock.advance(599_999);
    await s.authorizer.authorize(eventWith(`Bearer ${TOKEN}`), { requestId: 'r' });
    expect(s.reads()).toBe(1);
    s.clock.advance(1);
    await s.authorizer.authorize(eventWith(`Bearer ${TOKEN}`), { requestId: 'r' });
    expect(s.reads()).toBe(2);
    const floor = setup({ ...ENV, SECRET_CACHE_MAX_AGE_MS: '0' });
    await floor.authorizer.authorize(eventWith(`Bearer ${TOKEN}`), { requestId: 'r' });
    floor.clock.advance(TOKEN_REFRESH_INTERVAL_MS - 1);
    await floor.authorizer.authorize(eventWith(`Bearer ${TOKEN}`), { requestId: 'r' });
    expect(floor.reads()).toBe(1);
  });

  test('with no more Lambda time left than the safety margin, a hung read is unavailable at once', async () => {
    const s = setup();
    s.secrets.answer = hanging;
    // 500 ms is the default safety margin: the read's budget is 0.
    expect(await s.authorizer.authorize(eventWith(`Bearer ${TOKEN}`), { requestId: 'r', remainingMs: 500 })).toBe(
      'unavailable',
    );
    expect(await s.authorizer.authorize(eventWith(`Bearer ${TOKEN}`), { requestId: 'r', remainingMs: 0 })).toBe(
      'unavailable',
    );
    expect(s.secrets.reads.every((r) => r.signal?.aborted === true)).toBe(true);
  });

  test('the margin is kept back: a read that would answer after it is cut, one before it is not', async () => {
    // Timers fire in the order they expire: the read's 30 ms against the budget left after the margin.
    const answerAfter = (ms: number) => async (): Promise<SecretFetch> => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return { ok: true, value: sensitive(TOKEN) };
    };
    const cut = setup();
    cut.secrets.answer = answerAfter(30);
    const event = eventWith(`Bearer ${TOKEN}`);
    expect(await cut.authorizer.authorize(event, { requestId: 'r', remainingMs: 500 })).toBe('unavailable');
    const inTime = setup();
    inTime.secrets.answer = answerAfter(30);
    expect(await inTime.authorizer.authorize(event, { requestId: 'r', remainingMs: 5000 })).toBe('ok');
  });

  test('a hung read ends when the remaining time less the margin runs out', async () => {
    const s = setup({ ...ENV, FLAG_SAFETY_MARGIN_MS: '100' });
    s.secrets.answer = hanging;
    expect(await s.authorizer.authorize(eventWith(`Bearer ${TOKEN}`), { requestId: 'r', remainingMs: 130 })).toBe(
      'unavailable',
    );
    expect(s.log.lines.at(-1)).toMatchObject({ level: 'error', message: 'webhook authentication unavailable' });
  });
});

describe('prefetch', () => {
  test("reads the token's secret once, ahead of traffic: the first request reads nothing more", async () => {
    const s = setup();
    await s.authorizer.prefetch();
    expect(s.reads()).toBe(1);
    expect(s.log.lines).toEqual([expect.objectContaining({ level: 'info', message: 'prefetched' })]);
    expect(await s.authorizer.authorize(eventWith(`Bearer ${TOKEN}`), { requestId: 'r' })).toBe('ok');
    expect(s.reads()).toBe(1);
  });

  test('a failed prefetch is not remembered, and never throws', async () => {
    const s = setup();
    const real = s.secrets.answer;
    s.secrets.answer = async (): Promise<SecretFetch> => ({
      ok: false,
      error: { kind: 'unavailable', reason: 'Secrets Manager GetSecretValue failed: ThrottlingException' },
    });
    await expect(s.authorizer.prefetch()).resolves.toBeUndefined();
    s.secrets.answer = real;
    expect(await s.authorizer.authorize(eventWith(`Bearer ${TOKEN}`), { requestId: 'r' })).toBe('ok');
    expect(s.reads()).toBe(2);
  });

  test('FLAG_INIT_PREFETCH_MS=0, or no secret configured: nothing is read', async () => {
    for (const env of [{ ...ENV, FLAG_INIT_PREFETCH_MS: '0' }, {}]) {
      const s = setup(env);
      await s.authorizer.prefetch();
      expect(s.secrets.reads).toEqual([]);
    }
  });
});
