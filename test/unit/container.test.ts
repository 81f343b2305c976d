/**
 * The per-container pieces (createContainer) with fakes for what can be swapped: the configuration
 * it reads, what it logs at init (host overrides by host only), the deadline of each invocation
 * (the first after an on-demand init pays for the init), the secret caches' ages, and which token
 * source each mode gets.
 */
import { CONTRACT } from '../../lib/core/attribute-contract';
import { createContainer } from '../../lib/container';
import { sleep as realSleep } from '../../lib/deadline';
import {
  ACCESS_TOKEN,
  CLIENT_SECRET,
  CREDENTIALS,
  CREDENTIALS_SECRET_ID,
  fakeSecrets,
  fakeContainerDeps,
} from './fakes';
import { sensitive } from '../../lib/sensitive';

const ENV = { GENESYS_CREDENTIALS_SECRET_ID: CREDENTIALS_SECRET_ID };
const T = 1_000_000;

function setup(env: Record<string, string> = ENV, initStartedAt = T) {
  const world = fakeContainerDeps({ [CREDENTIALS_SECRET_ID]: CREDENTIALS }, { random: 0.25, start: T });
  const container = createContainer(env, { ...world.deps, initStartedAt });
  return { container, ...world };
}

describe('configuration', () => {
  test('a valid configuration: no reason, its settings in the policy, the production contract', () => {
    const { container, log } = setup({
      ...ENV,
      FLAG_BACKOFF_BASE_MS: '20',
      FLAG_BACKOFF_CAP_MS: '200',
      FLAG_POLL_BASE_MS: '30',
      FLAG_POLL_CAP_MS: '300',
      FLAG_ATTEMPT_TIMEOUT_MS: '1500',
      FLAG_MIN_ATTEMPT_MS: '40',
    });
    expect(container.invalid).toBeUndefined();
    expect(container.policy).toEqual({
      backoff: { baseMs: 20, capMs: 200 },
      poll: { baseMs: 30, capMs: 300 },
      attemptTimeoutMs: 1500,
      minAttemptMs: 40,
    });
    expect(container.attributes).toBe(CONTRACT);
    expect(log.lines).toEqual([]);
  });

  test('an invalid one is logged once at init, with the defaults standing in for the bad values', () => {
    const { container, log } = setup({ ...ENV, FLAG_DEADLINE_MS: '0' });
    expect(container.invalid).toContain('FLAG_DEADLINE_MS must be a whole number from 1 to 900000');
    expect(container.config.deadlineMs).toBe(8000);
    expect(log.lines).toEqual([
      expect.objectContaining({ level: 'error', message: 'configuration invalid', reason: container.invalid }),
    ]);
  });

  test('swapped pieces are the ones used; the sleep defaults to the real one', async () => {
    const attributes = new Map([['only_this', 'string' as const]]);
    const secrets = fakeSecrets({});
    const container = createContainer(ENV, { attributes, secretSource: secrets.secretSource });
    expect(container.attributes).toBe(attributes);
    // A door's own secret is read through the container's source.
    await container.cachedSecret('door/secret').get();
    expect(secrets.reads.map((r) => r.secretId)).toEqual(['door/secret']);
    expect(container.flagDeps.sleep).toBe(realSleep);
    expect(container.flagDeps.random).toBe(Math.random);
    const s = setup();
    expect(s.container.flagDeps.random()).toBe(0.25);
    expect(s.container.now()).toBe(T);
  });
});

describe('host overrides: one warning at init, with the hosts in force and nothing else of the URLs', () => {
  test('an override is named by its host (and port), never its path', () => {
    const { log } = setup({
      ...ENV,
      GENESYS_API_BASE_URL: 'http://127.0.0.1:8080/some/path',
      GENESYS_LOGIN_BASE_URL: 'https://login.partner.example',
    });
    expect(log.lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: 'Genesys host override in force',
        GENESYS_API_BASE_URL: '127.0.0.1:8080',
        GENESYS_LOGIN_BASE_URL: 'login.partner.example',
      }),
    ]);
    expect(JSON.stringify(log.lines)).not.toContain('some/path');
  });

  test('no override, no warning; an invalid configuration logs its reason instead', () => {
    expect(setup().log.lines).toEqual([]);
    const { log } = setup({ GENESYS_API_BASE_URL: 'http://127.0.0.1:8080' });
    expect(log.lines.map((l) => l.message)).toEqual(['configuration invalid']);
  });
});

describe('deadline', () => {
  test("the configured budget, or the Lambda's remaining time less the margin when shorter", () => {
    const { container } = setup();
    expect(container.deadline({ requestId: 'r', startedAt: T })).toBe(T + 8000);
    expect(container.deadline({ requestId: 'r', startedAt: T, remainingMs: 3000 })).toBe(T + 2500);
    expect(container.deadline({ requestId: 'r', startedAt: T, remainingMs: 400 })).toBe(T);
    // Without startedAt, the deadline counts from now.
    expect(container.deadline({ requestId: 'r' })).toBe(T + 8000);
  });

  describe('after an on-demand init', () => {
    const onDemand = { ...ENV, AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' };

    test('the first invocation (and only it) has the init taken from its budget, logged once', () => {
      const { container, log } = setup(onDemand, T - 1000);
      expect(container.deadline({ requestId: 'first', startedAt: T })).toBe(T + 7000);
      expect(container.deadline({ requestId: 'first', startedAt: T + 5 })).toBe(T + 5 + 7000);
      expect(container.deadline({ requestId: 'second', startedAt: T })).toBe(T + 8000);
      expect(log.lines).toEqual([
        expect.objectContaining({
          message: 'on-demand init counted against the first invocation',
          requestId: 'first',
          initMs: 1000,
          budgetMs: 7000,
        }),
      ]);
    });

    test('the init ends at initEnded (the end of the prefetch), not when the container was built', () => {
      const { container, clock } = setup(onDemand, T - 1000);
      clock.advance(2500);
      container.initEnded();
      clock.advance(10_000); // the first event comes long after: idle time is not the init's
      expect(container.deadline({ requestId: 'first', startedAt: clock.now() })).toBe(clock.now() + 8000 - 3500);
    });

    test('an init as long as the deadline, or longer, leaves the first invocation nothing, never less', () => {
      const exactly = setup(onDemand, T - 8000).container;
      expect(exactly.deadline({ requestId: 'first', startedAt: T })).toBe(T);
      const longer = setup(onDemand, T - 60_000).container;
      expect(longer.deadline({ requestId: 'first', startedAt: T, remainingMs: 10_000 })).toBe(T);
      const oneShort = setup(onDemand, T - 7999).container;
      expect(oneShort.deadline({ requestId: 'first', startedAt: T })).toBe(T + 1);
    });

    test('an init start in the future (a clock that stepped) costs nothing, and adds nothing', () => {
      const { container } = setup(onDemand, T + 5000);
      expect(container.deadline({ requestId: 'first', startedAt: T })).toBe(T + 8000);
    });

    test.each(['provisioned-concurrency', 'snap-start', ''])('after a %p init nothing is taken', (type) => {
      const { container } = setup({ ...ENV, AWS_LAMBDA_INITIALIZATION_TYPE: type }, T - 5000);
      expect(container.deadline({ requestId: 'first', startedAt: T })).toBe(T + 8000);
    });
  });
});

describe('cachedSecret', () => {
  test('the configured maximum age, raised to a floor where the caller asks for one', async () => {
    const { container, clock, secrets } = setup({ ...ENV, SECRET_CACHE_MAX_AGE_MS: '0' });
    const plain = container.cachedSecret(CREDENTIALS_SECRET_ID);
    await plain.get();
    await plain.get();
    expect(secrets.reads).toHaveLength(2);

    const floored = container.cachedSecret(CREDENTIALS_SECRET_ID, { minAgeMs: 60_000 });
    await floored.get();
    clock.advance(59_999);
    await floored.get();
    expect(secrets.reads).toHaveLength(3);
    clock.advance(1);
    await floored.get();
    expect(secrets.reads).toHaveLength(4);
  });

  test('a floor below the configured age changes nothing', async () => {
    const { container, clock, secrets } = setup({ ...ENV, SECRET_CACHE_MAX_AGE_MS: '120000' });
    const cache = container.cachedSecret(CREDENTIALS_SECRET_ID, { minAgeMs: 1000 });
    await cache.get();
    clock.advance(119_999);
    await cache.get();
    expect(secrets.reads).toHaveLength(1);
  });
});

describe('the token source of each mode', () => {
  test('client credentials: the secret, then a grant at the login host its environment names', async () => {
    const { container, genesys } = setup();
    const token = await container.flagDeps.tokens.get();
    expect(token).toMatchObject({
      ok: true,
      value: { value: sensitive(ACCESS_TOKEN), apiBaseUrl: 'https://api.mypurecloud.ie' },
    });
    expect(genesys.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST https://login.mypurecloud.ie/oauth/token',
    ]);
  });

  test('client credentials with a login override: the grant goes to the override', async () => {
    const { container, genesys } = setup({ ...ENV, GENESYS_LOGIN_BASE_URL: 'https://login.partner.example' });
    await container.flagDeps.tokens.get();
    expect(genesys.requests.map((r) => r.url)).toEqual(['https://login.partner.example/oauth/token']);
  });

  test('a secret naming an unknown environment: no request anywhere, and the secret is not quoted', async () => {
    const { container, genesys, secrets } = setup();
    secrets.values[CREDENTIALS_SECRET_ID] = JSON.stringify({
      clientId: 'id',
      clientSecret: CLIENT_SECRET,
      environment: 'evil.example.com',
    });
    const token = await container.flagDeps.tokens.get();
    expect(token).toMatchObject({ ok: false, error: { kind: 'config' } });
    expect(genesys.requests).toEqual([]);
    expect(JSON.stringify(token)).not.toContain(CLIENT_SECRET);
    expect(JSON.stringify(token)).not.toContain('evil.example.com');
  });

  test('token mode: the token secret is read, the credentials secret never, and nothing is minted', async () => {
    const { container, genesys, secrets } = setup({ GENESYS_TOKEN_SECRET_ID: 'genesys/token' });
    secrets.values['genesys/token'] = JSON.stringify({
      accessToken: 'stored-token',
      expiresAt: new Date(T + 3_600_000).toISOString(),
      environment: 'mypurecloud.de',
    });
    expect(await container.flagDeps.tokens.get()).toMatchObject({
      ok: true,
      value: { value: sensitive('stored-token'), apiBaseUrl: 'https://api.mypurecloud.de' },
    });
    expect(secrets.reads.map((r) => r.secretId)).toEqual(['genesys/token']);
    expect(genesys.requests).toEqual([]);
  });
});
