/**
 * Token mode's token source, one transition at a time: the stored token's format, then
 * SecretTokenSource on a virtual clock over the real secret cache and a scripted SecretSource.
 * test/property/token-refusal.test.ts checks what any sequence of refusals adds up to; here each
 * rule of the refusal protocol (SecretTokenSource's class comment) has its own named case.
 */
import { CachedSecret, type SecretRead } from '../../lib/aws/secret-cache';
import type { SecretError, SecretFetch, SecretSource } from '../../lib/aws/secret-source';
import type { AccessToken, TokenFetch } from '../../lib/genesys/oauth-tokens';
import { formatStoredToken, parseStoredToken, SecretTokenSource } from '../../lib/genesys/token-secret';
import { REDACTED, Sensitive, sensitive } from '../../lib/sensitive';

const TOKEN = 'sentinel-token-5c2e';
const NEWER = 'sentinel-token-newer-7a41';
const T0 = Date.UTC(2026, 0, 1, 12);
const HOUR = 3_600_000;
const MARGIN_MS = 60_000;
/** The secret cache's minimum refresh interval. */
const REFRESH_MS = 10_000;
/** Longer than REFRESH_MS here (the function passes the same value), so each case shows which rule holds. */
const MEMORY_MS = 30_000;
const API = 'https://api.mypurecloud.com';

const storedString = (accessToken: string, expiresAt: number, environment = 'mypurecloud.com'): string =>
  JSON.stringify({ accessToken, expiresAt: new Date(expiresAt).toISOString(), environment });

describe('parseStoredToken', () => {
  const notAnObject = 'the token secret is not a JSON object: expected {"accessToken", "expiresAt", "environment"}';
  test.each([
    ['not JSON', `accessToken=${TOKEN}`, notAnObject],
    ['an array', JSON.stringify([TOKEN, '2026-01-02T00:00:00.000Z']), notAnObject],
    ['null', 'null', notAnObject],
    ['a JSON string', JSON.stringify(TOKEN), notAnObject],
    ['no token', JSON.stringify({ expiresAt: '2026-01-02T00:00:00.000Z' }), 'the token secret lacks accessToken'],
    ['an empty token', JSON.stringify({ accessToken: '', expiresAt: '2026-01-02T00:00:00.000Z' }), 'lacks accessToken'],
    ['a token that is not text', JSON.stringify({ accessToken: 42, expiresAt: '2026-01-02' }), 'lacks accessToken'],
    ['no expiry', JSON.stringify({ accessToken: TOKEN }), 'the token secret lacks expiresAt'],
    ['an empty expiry', JSON.stringify({ accessToken: TOKEN, expiresAt: '' }), 'the token secret lacks expiresAt'],
    [
      'an expiry in epoch ms',
      JSON.stringify({ accessToken: TOKEN, expiresAt: T0 }),
      'the token secret lacks expiresAt',
    ],
    ['neither', '{}', 'the token secret lacks accessToken, expiresAt'],
    [
      'an expiry that is no date',
      JSON.stringify({ accessToken: TOKEN, expiresAt: 'tomorrow' }),
      'the token secret has an expiresAt that is not an ISO-8601 date',
    ],
  ])('%s: refused, saying what is wrong and never showing the token', (_case, secretString, reason) => {
    const parsed = parseStoredToken(sensitive(secretString));
    expect(parsed).toEqual({ ok: false, error: expect.stringContaining(reason) });
    expect(JSON.stringify(parsed)).not.toContain(TOKEN);
  });

  test('a complete secret: the token as Sensitive, the expiry in epoch ms, the environment as written', () => {
    expect(parseStoredToken(sensitive(storedString(TOKEN, T0 + HOUR, 'mypurecloud.ie')))).toEqual({
      ok: true,
      value: { accessToken: sensitive(TOKEN), expiresAt: T0 + HOUR, environment: 'mypurecloud.ie' },
    });
  });

  test('an environment absent or not text is "" (usable only with both hosts overridden)', () => {
    const expiresAt = new Date(T0).toISOString();
    for (const environment of [undefined, 7, null]) {
      expect(parseStoredToken(sensitive(JSON.stringify({ accessToken: TOKEN, expiresAt, environment })))).toEqual({
        ok: true,
        value: { accessToken: sensitive(TOKEN), expiresAt: T0, environment: '' },
      });
    }
  });
});

describe('formatStoredToken', () => {
  test('writes the three fields, with the expiry as ISO-8601, as a Sensitive that prints redacted', () => {
    const formatted = formatStoredToken({ accessToken: sensitive(TOKEN), expiresAt: T0 + 1, environment: 'eu-west-1' });
    expect(formatted).toBeInstanceOf(Sensitive);
    expect(String(formatted)).toBe(REDACTED);
    expect(JSON.stringify({ formatted })).not.toContain(TOKEN);
    expect(JSON.parse(formatted.reveal())).toEqual({
      accessToken: TOKEN,
      expiresAt: '2026-01-01T12:00:00.001Z',
      environment: 'eu-west-1',
    });
  });

  test('round-trips through parseStoredToken, to the millisecond and with an empty environment', () => {
    for (const token of [
      { accessToken: sensitive(TOKEN), expiresAt: T0 + 123, environment: 'mypurecloud.de' },
      { accessToken: sensitive(NEWER), expiresAt: T0 + 48 * HOUR, environment: '' },
    ]) {
      expect(parseStoredToken(formatStoredToken(token))).toEqual({ ok: true, value: token });
    }
  });
});

/** The real cache, recording what each `get` asked of it. */
class RecordingSecret extends CachedSecret {
  readonly asked: SecretRead[] = [];

  override get(signal?: AbortSignal, read: SecretRead = {}): Promise<SecretFetch> {
    this.asked.push(read);
    return super.get(signal, read);
  }
}

/**
 * One container's token source. `secret.value` is what the rotation last stored; `secret.answers`
 * are scripted answers for the next reads (a failure, a hang), taken before the stored value.
 */
function tokenSource(
  initial: string,
  overrides: { apiBaseUrl?: string; loginBaseUrl?: string } = {},
): {
  tokens: SecretTokenSource;
  cache: RecordingSecret;
  secret: { value: string; reads: number; answers: ((signal?: AbortSignal) => Promise<SecretFetch>)[] };
  advance: (ms: number) => void;
  now: () => number;
} {
  let t = T0;
  const now = () => t;
  const secret = {
    value: initial,
    reads: 0,
    answers: [] as ((signal?: AbortSignal) => Promise<SecretFetch>)[],
  };
  const source: SecretSource = {
    fetch: async (_secretId, signal) => {
      secret.reads += 1;
      const scripted = secret.answers.shift();
      return scripted ? scripted(signal) : { ok: true, value: sensitive(secret.value) };
    },
  };
  const cache = new RecordingSecret(source, 'genesys/flagger/token', {
    maxAgeMs: 300_000,
    minRefreshIntervalMs: REFRESH_MS,
    now,
  });
  const tokens = new SecretTokenSource(cache, {
    now,
    refreshMarginMs: MARGIN_MS,
    refusalMemoryMs: MEMORY_MS,
    overrides,
  });
  return { tokens, cache, secret, advance: (ms) => (t += ms), now };
}

/** The token a `get` handed out; fails the test with the reason when it handed out none. */
function handedOut(fetched: TokenFetch): AccessToken {
  if (!fetched.ok) throw new Error(`no token: ${fetched.error.reason}`);
  return fetched.value;
}

const failing = (error: SecretError) => async (): Promise<SecretFetch> => ({ ok: false, error });

describe('SecretTokenSource: reading the token', () => {
  test('the first get reads the secret: the token, its API host, and a renewal one margin before expiry', async () => {
    const { tokens, secret, cache } = tokenSource(storedString(TOKEN, T0 + HOUR));
    expect(await tokens.get()).toEqual({
      ok: true,
      value: { value: sensitive(TOKEN), apiBaseUrl: API, renewAt: T0 + HOUR - MARGIN_MS, expiresAt: T0 + HOUR },
    });
    expect(secret.reads).toBe(1);
    expect(cache.asked).toEqual([{ refresh: true, prefetch: false }]);
  });

  test('the token is kept until renewAt without asking the cache; at renewAt the secret is read again', async () => {
    const { tokens, secret, cache, advance } = tokenSource(storedString(TOKEN, T0 + HOUR));
    await tokens.get();
    advance(HOUR - MARGIN_MS - 1);
    expect(handedOut(await tokens.get()).value).toEqual(sensitive(TOKEN));
    expect(cache.asked).toHaveLength(1);

    secret.value = storedString(NEWER, T0 + 25 * HOUR);
    advance(1);
    expect(handedOut(await tokens.get())).toEqual({
      value: sensitive(NEWER),
      apiBaseUrl: API,
      renewAt: T0 + 25 * HOUR - MARGIN_MS,
      expiresAt: T0 + 25 * HOUR,
    });
    expect(secret.reads).toBe(2);
  });

  test(
    'a token within the refresh margin of its expiry is still used, and the secret looked at on every get ' +
      '(the cache rate-limits the reads)',
    async () => {
      const { tokens, secret, cache, advance } = tokenSource(storedString(TOKEN, T0 + 30_000));
      expect(handedOut(await tokens.get())).toMatchObject({ renewAt: T0, expiresAt: T0 + 30_000 });
      advance(REFRESH_MS - 1);
      expect(handedOut(await tokens.get()).value).toEqual(sensitive(TOKEN));
      expect(cache.asked).toHaveLength(2);
      expect(secret.reads).toBe(1);

      secret.value = storedString(NEWER, T0 + 24 * HOUR); // the late rotation caught up
      advance(1);
      expect(handedOut(await tokens.get()).value).toEqual(sensitive(NEWER));
      expect(secret.reads).toBe(2);
    },
  );

  test('a prefetch asks the cache for a read whose failure is not remembered', async () => {
    const { tokens, cache } = tokenSource(storedString(TOKEN, T0 + HOUR));
    await tokens.get(undefined, { prefetch: true });
    expect(cache.asked).toEqual([{ refresh: true, prefetch: true }]);
  });

  test.each([
    ['an hour ago', T0 - HOUR],
    ['this very millisecond', T0],
  ])('a stored token that expired %s: an auth error naming the expiry, nothing handed out', async (_case, at) => {
    const { tokens } = tokenSource(storedString(TOKEN, at));
    expect(await tokens.get()).toEqual({
      ok: false,
      error: {
        kind: 'auth',
        reason: `the token in the token secret expired at ${new Date(at).toISOString()}: is its rotation running?`,
        status: 0,
      },
    });
  });

  test('a secret that does not hold a stored token: a config error with the parse reason', async () => {
    const { tokens } = tokenSource(JSON.stringify({ accessToken: TOKEN }));
    expect(await tokens.get()).toEqual({
      ok: false,
      error: { kind: 'config', reason: 'the token secret lacks expiresAt', status: 0 },
    });
  });

  test('an unknown environment: a config error that says "token secret", not "credentials secret"', async () => {
    for (const environment of ['api.example.com', '']) {
      const { tokens } = tokenSource(storedString(TOKEN, T0 + HOUR, environment));
      expect(await tokens.get()).toEqual({
        ok: false,
        error: {
          kind: 'config',
          reason:
            'the token secret names an unknown Genesys environment: ' +
            'use a domain such as "mypurecloud.com" or a region such as "us-east-1"',
          status: 0,
        },
      });
    }
  });

  test('a region name resolves like its domain, and both host overrides make any environment usable', async () => {
    const region = tokenSource(storedString(TOKEN, T0 + HOUR, 'eu-west-1'));
    expect(handedOut(await region.tokens.get()).apiBaseUrl).toBe('https://api.mypurecloud.ie');
    const both = { apiBaseUrl: 'http://127.0.0.1:1', loginBaseUrl: 'http://127.0.0.1:2' };
    const overridden = tokenSource(storedString(TOKEN, T0 + HOUR, ''), both);
    expect(handedOut(await overridden.tokens.get()).apiBaseUrl).toBe('http://127.0.0.1:1');
  });

  test.each([
    [
      'a secret that is gone or denied',
      { kind: 'config', reason: 'Secrets Manager GetSecretValue failed: AccessDeniedException' } as const,
      'config',
    ],
    [
      'Secrets Manager unavailable (and no value read before)',
      { kind: 'unavailable', reason: 'Secrets Manager GetSecretValue failed: ThrottlingException' } as const,
      'upstream',
    ],
  ])('%s: mapped through fromSecretError, with when the cache reads again', async (_case, error, kind) => {
    const { tokens, secret, advance } = tokenSource(storedString(TOKEN, T0 + HOUR));
    secret.answers.push(failing(error));
    expect(await tokens.get()).toEqual({
      ok: false,
      error: { kind, reason: error.reason, status: 0, retryAfterMs: REFRESH_MS },
    });
    advance(4000);
    expect(await tokens.get()).toEqual({
      ok: false,
      error: { kind, reason: error.reason, status: 0, retryAfterMs: REFRESH_MS - 4000 },
    });
    expect(secret.reads).toBe(1);
  });

  test('a read the deadline cuts short: a deadline error, and an aborted signal reads nothing', async () => {
    const { tokens, secret } = tokenSource(storedString(TOKEN, T0 + HOUR));
    secret.answers.push(
      (signal) =>
        new Promise((resolve) =>
          signal?.addEventListener('abort', () =>
            resolve({ ok: false, error: { kind: 'unavailable', reason: 'aborted' } }),
          ),
        ),
    );
    const deadline = new AbortController();
    const pending = tokens.get(deadline.signal);
    deadline.abort();
    const deadlineError = {
      ok: false,
      error: { kind: 'deadline', reason: 'deadline reached while reading the token secret', status: 0 },
    };
    expect(await pending).toEqual(deadlineError);

    const before = secret.reads;
    expect(await tokens.get(AbortSignal.abort())).toEqual(deadlineError);
    expect(secret.reads).toBe(before);
  });

  test('anything thrown but the deadline is not made an answer: it is a bug, for the caller to log', async () => {
    const { tokens, secret } = tokenSource(storedString(TOKEN, T0 + HOUR));
    secret.answers.push(async () => {
      throw new TypeError('a bug in the source');
    });
    await expect(tokens.get()).rejects.toThrow(TypeError);
  });
});

describe('SecretTokenSource: a token Genesys refuses (401)', () => {
  /** A source that has handed out TOKEN once, `ageMs` ago, and been told Genesys refused it. */
  async function refusedOnce(ageMs = 1000) {
    const world = tokenSource(storedString(TOKEN, T0 + 24 * HOUR));
    const first = handedOut(await world.tokens.get());
    world.advance(ageMs);
    world.tokens.invalidate(first);
    return { ...world, first };
  }

  test('the first refusal makes the next get re-read the secret at once, inside the refresh interval', async () => {
    const { tokens, secret, cache } = await refusedOnce();
    await tokens.get();
    expect(secret.reads).toBe(2);
    expect(cache.asked.at(-1)).toEqual({ replacing: sensitive(storedString(TOKEN, T0 + 24 * HOUR)) });
  });

  test('a newer token in the secret is used at once, as a plain token that is cached again', async () => {
    const { tokens, secret } = await refusedOnce();
    secret.value = storedString(NEWER, T0 + 25 * HOUR);
    const next = handedOut(await tokens.get());
    expect(next).toEqual({
      value: sensitive(NEWER),
      apiBaseUrl: API,
      renewAt: T0 + 25 * HOUR - MARGIN_MS,
      expiresAt: T0 + 25 * HOUR,
    });
    expect(await tokens.get()).toEqual({ ok: true, value: next });
    expect(secret.reads).toBe(2);
  });

  test(
    'the same token again is handed out once more marked afterRefusal, and not cached: ' +
      'every flag meanwhile decides again (without re-reading)',
    async () => {
      const { tokens, secret, first } = await refusedOnce();
      expect(await tokens.get()).toEqual({ ok: true, value: { ...first, afterRefusal: true } });
      expect(await tokens.get()).toEqual({ ok: true, value: { ...first, afterRefusal: true } });
      expect(secret.reads).toBe(2);
    },
  );

  test('a first try that was in flight alongside the one refused changes nothing', async () => {
    const { tokens, first } = await refusedOnce();
    tokens.invalidate(first); // the plain token again, not the second try
    expect(handedOut(await tokens.get()).afterRefusal).toBe(true);
  });

  test('a refusal of a token the secret has moved on from changes nothing', async () => {
    const { tokens, secret } = await refusedOnce();
    secret.value = storedString(NEWER, T0 + 25 * HOUR);
    const newer = handedOut(await tokens.get());
    const stale = { value: sensitive(TOKEN), apiBaseUrl: API, renewAt: T0 + HOUR, expiresAt: T0 + 24 * HOUR };
    tokens.invalidate(stale); // a flag still holding the old token
    expect(await tokens.get()).toEqual({ ok: true, value: newer });
    expect(secret.reads).toBe(2);
  });

  test('accepted on the second try clears the refusal: the token is cached as a plain token again', async () => {
    const { tokens, secret, cache, first } = await refusedOnce();
    const second = handedOut(await tokens.get());
    tokens.accepted(second);
    const asked = cache.asked.length;
    expect(await tokens.get()).toEqual({ ok: true, value: first });
    expect(cache.asked).toHaveLength(asked); // from the token cache, the secret cache not even asked
    expect(secret.reads).toBe(2);
  });

  test('accepted of a token nobody refused changes nothing', async () => {
    const { tokens, cache } = tokenSource(storedString(TOKEN, T0 + HOUR));
    const token = handedOut(await tokens.get());
    tokens.accepted({ ...token, value: sensitive(NEWER) });
    tokens.accepted(token);
    expect(await tokens.get()).toEqual({ ok: true, value: token });
    expect(cache.asked).toHaveLength(1);
  });

  describe('a second refusal, on the second try, confirms it', () => {
    async function confirmed() {
      const world = await refusedOnce();
      const second = handedOut(await world.tokens.get());
      world.tokens.invalidate(second);
      return { ...world, second };
    }
    const remembered = (seconds: number): TokenFetch => ({
      ok: false,
      error: {
        kind: 'auth',
        reason:
          'Genesys refused the token in the token secret twice (401), and the secret holds no newer one: ' +
          `is its rotation running? It is tried again in ${seconds} s`,
        status: 401,
      },
    });

    test('meanwhile no token is handed out, and the error says when it is tried again', async () => {
      const { tokens, advance } = await confirmed();
      expect(await tokens.get()).toEqual(remembered(30));
      advance(2500);
      expect(await tokens.get()).toEqual(remembered(28));
    });

    test('many flags meanwhile read the secret at most once per refresh interval: no read storm', async () => {
      const { tokens, secret, advance } = await confirmed();
      const readsAtConfirmation = secret.reads;
      for (let i = 0; i < 50; i += 1) expect(await tokens.get()).toMatchObject({ ok: false });
      expect(secret.reads).toBe(readsAtConfirmation);
      // One flag every 100 ms through the whole memory: a read each time the cached value is REFRESH_MS old.
      for (let elapsed = 100; elapsed < MEMORY_MS; elapsed += 100) {
        advance(100);
        expect(await tokens.get()).toMatchObject({ ok: false, error: { kind: 'auth', status: 401 } });
      }
      expect(secret.reads - readsAtConfirmation).toBe(MEMORY_MS / REFRESH_MS - 1);
    });

    test('a newer token is used as soon as the cache reads the secret again, before the memory ends', async () => {
      const { tokens, secret, advance } = await confirmed();
      secret.value = storedString(NEWER, T0 + 25 * HOUR);
      expect(await tokens.get()).toEqual(remembered(30)); // the cached secret value is the refused one
      advance(REFRESH_MS);
      expect(handedOut(await tokens.get()).value).toEqual(sensitive(NEWER));
    });

    test('once the memory has passed, exactly one flag probes with the token (no afterRefusal)', async () => {
      const { tokens, first, advance } = await confirmed();
      advance(MEMORY_MS);
      expect(await tokens.get()).toEqual({ ok: true, value: first });
      // The memory starts again at the probe: concurrent flags do not probe too.
      expect(await tokens.get()).toEqual(remembered(30));
    });

    test('a refused probe is remembered again from the refusal', async () => {
      const { tokens, advance } = await confirmed();
      advance(MEMORY_MS);
      const probe = handedOut(await tokens.get());
      advance(5000);
      tokens.invalidate(probe);
      expect(await tokens.get()).toEqual(remembered(30));
      advance(MEMORY_MS - 1);
      expect(await tokens.get()).toEqual(remembered(1));
      advance(1);
      expect(handedOut(await tokens.get()).afterRefusal).toBeUndefined();
    });

    test('an accepted probe clears the refusal: the token is cached and sent again', async () => {
      const { tokens, first, advance } = await confirmed();
      advance(MEMORY_MS);
      tokens.accepted(handedOut(await tokens.get()));
      expect(await tokens.get()).toEqual({ ok: true, value: first });
      expect(await tokens.get()).toEqual({ ok: true, value: first });
    });
  });

  test('says what a flag reports when the token is refused on its second try', () => {
    const { tokens } = tokenSource('{}');
    expect(tokens.refusedAgain).toBe(
      'Genesys refused the token from the token secret again after re-reading the secret (401): ' +
        'is its rotation running?',
    );
  });
});
