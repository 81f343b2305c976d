import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ANY_BODY,
  bodyRulesFrom,
  type Config,
  type Env,
  loadAuthorizerConfig,
  loadConfig,
  NUMERIC_SETTINGS,
  overridesInForce,
} from '../../lib/config';

const base = { GENESYS_CREDENTIALS_SECRET_ID: 'genesys/creds' };

test('defaults are the documented ones', () => {
  const parsed = loadConfig(base);
  expect(parsed.ok).toBe(true);
  if (!parsed.ok) return;
  expect(parsed.value).toMatchObject({
    credentialsSecretId: 'genesys/creds',
    deadlineMs: 8000,
    safetyMarginMs: 500,
    backoffBaseMs: 100,
    backoffCapMs: 1000,
    attemptTimeoutMs: 3000,
    secretMaxAgeMs: 300_000,
    defaultParticipantPurpose: 'customer',
    logLevel: 'info',
  });
  expect(parsed.value.apiBaseUrl).toBeUndefined();
  expect(parsed.value.limits).toEqual({ maxCount: 50, maxKeyLength: 128, maxValueLength: 256, maxBodyBytes: 32_768 });
});

test('every tunable can be set from the environment', () => {
  const parsed = loadConfig({
    ...base,
    FLAG_DEADLINE_MS: '4000',
    FLAG_SAFETY_MARGIN_MS: '250',
    FLAG_BACKOFF_BASE_MS: '50',
    FLAG_BACKOFF_CAP_MS: '800',
    FLAG_ATTEMPT_TIMEOUT_MS: '1500',
    FLAG_INIT_PREFETCH_MS: '2000',
    SECRET_CACHE_MAX_AGE_MS: '60000',
    ATTR_MAX_COUNT: '10',
    ATTR_MAX_VALUE_LENGTH: '64',
    GENESYS_API_BASE_URL: 'http://127.0.0.1:8080/',
    GENESYS_LOGIN_BASE_URL: 'https://login.proxy.example',
    LOG_LEVEL: 'DEBUG',
  });
  expect(parsed.ok && parsed.value).toMatchObject({
    deadlineMs: 4000,
    safetyMarginMs: 250,
    backoffBaseMs: 50,
    backoffCapMs: 800,
    attemptTimeoutMs: 1500,
    initPrefetchMs: 2000,
    secretMaxAgeMs: 60_000,
    apiBaseUrl: 'http://127.0.0.1:8080',
    loginBaseUrl: 'https://login.proxy.example',
    logLevel: 'debug',
    limits: { maxCount: 10, maxValueLength: 64 },
  });
});

test.each([
  [{}, 'GENESYS_CREDENTIALS_SECRET_ID is not set'],
  [{ ...base, FLAG_DEADLINE_MS: 'eight' }, 'FLAG_DEADLINE_MS must be a whole number'],
  [{ ...base, FLAG_DEADLINE_MS: '0' }, 'FLAG_DEADLINE_MS must be a whole number'],
  [{ ...base, FLAG_ATTEMPT_TIMEOUT_MS: '1.5' }, 'FLAG_ATTEMPT_TIMEOUT_MS'],
  [{ ...base, FLAG_BACKOFF_BASE_MS: '500', FLAG_BACKOFF_CAP_MS: '100' }, 'must not be below'],
  [{ ...base, GENESYS_API_BASE_URL: 'not a url' }, 'GENESYS_API_BASE_URL is not a URL'],
  [{ ...base, GENESYS_LOGIN_BASE_URL: 'ftp://x' }, 'GENESYS_LOGIN_BASE_URL must be an http(s) URL'],
  [{ ...base, GENESYS_LOGIN_BASE_URL: 'https://user:pw@x' }, 'without user info (a user name or password)'],
  [{ ...base, GENESYS_API_BASE_URL: 'https://:pw@x' }, 'GENESYS_API_BASE_URL must be an http(s) URL without user info'],
  [
    { ...base, GENESYS_API_BASE_URL: 'https://user@x' },
    'GENESYS_API_BASE_URL must be an http(s) URL without user info',
  ],
  [{ ...base, LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of'],
  [
    { ...base, FLAG_DEADLINE_MS: '1000', FLAG_ATTEMPT_TIMEOUT_MS: '20000' },
    'FLAG_ATTEMPT_TIMEOUT_MS (20000) must not be above FLAG_DEADLINE_MS (1000)',
  ],
  [
    { ...base, FLAG_INIT_PREFETCH_MS: '9000' },
    'FLAG_INIT_PREFETCH_MS (9000) plus FLAG_ATTEMPT_TIMEOUT_MS (3000) must fit in FLAG_DEADLINE_MS (8000)',
  ],
  [{ ...base, FLAG_INIT_PREFETCH_MS: '5001' }, 'FLAG_INIT_PREFETCH_MS (5001) plus FLAG_ATTEMPT_TIMEOUT_MS (3000)'],
  [{ ...base, DEFAULT_PARTICIPANT_PURPOSE: 'cust omer' }, 'DEFAULT_PARTICIPANT_PURPOSE'],
])('a bad environment is a reason, not an exception: %j', (env, reason) => {
  const parsed = loadConfig(env);
  expect(parsed.ok).toBe(false);
  if (!parsed.ok) expect(parsed.error.reason).toContain(reason);
});

test(
  'settings that fit the chain are accepted: the defaults, a prefetch that leaves exactly one attempt, ' +
    'no prefetch under a short deadline',
  () => {
    expect(loadConfig(base).ok).toBe(true);
    expect(loadConfig({ ...base, FLAG_INIT_PREFETCH_MS: '5000' }).ok).toBe(true);
    expect(
      loadConfig({ ...base, FLAG_DEADLINE_MS: '1000', FLAG_ATTEMPT_TIMEOUT_MS: '1000', FLAG_INIT_PREFETCH_MS: '0' }).ok,
    ).toBe(true);
  },
);

test(
  "docs/configuration.md's table mirrors NUMERIC_SETTINGS: " +
    'its rows with a number for default are exactly those settings, in their order',
  () => {
    const doc = readFileSync(path.join(__dirname, '../../docs/configuration.md'), 'utf8');
    const numericRows = [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d+) \|/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(numericRows).toEqual(Object.values(NUMERIC_SETTINGS).map((setting) => `${setting.env} ${setting.default}`));
  },
);

test('docs/configuration.md lists every setting with its default', () => {
  const readme = readFileSync(path.join(__dirname, '../../docs/configuration.md'), 'utf8');
  for (const setting of Object.values(NUMERIC_SETTINGS)) {
    expect(readme).toContain(`| \`${setting.env}\` | ${setting.default} |`);
  }
  for (const name of [
    'GENESYS_CREDENTIALS_SECRET_ID',
    'GENESYS_API_BASE_URL',
    'GENESYS_LOGIN_BASE_URL',
    'DEFAULT_PARTICIPANT_PURPOSE',
    'LOG_LEVEL',
  ]) {
    expect(readme).toContain(`| \`${name}\` |`);
  }
});

/** The configuration in force: the parsed one, or the fallback a failed parse hands out meanwhile. */
function inForce(env: Env): { config: Config; reason: string } {
  const parsed = loadConfig(env);
  return parsed.ok
    ? { config: parsed.value, reason: '' }
    : { config: parsed.error.fallback, reason: parsed.error.reason };
}

describe('each numeric setting at its bounds', () => {
  type Name = keyof typeof NUMERIC_SETTINGS;
  const settings = (Object.entries(NUMERIC_SETTINGS) as [Name, (typeof NUMERIC_SETTINGS)[Name]][]).map(
    ([name, setting]) => ({ name, ...setting }),
  );
  /** The setting's value in a Config: the attribute limits sit under `limits`. */
  const valueIn = (config: Config, name: Name): unknown =>
    (({ ...config, ...config.limits }) as Record<string, unknown>)[name];
  const refusal = (s: (typeof settings)[number]) => `${s.env} must be a whole number from ${s.min} to ${s.max}`;

  // Other settings may then clash with it (a 1 ms deadline under the 3 s attempt timeout): those are
  // other problems, and the value stands in the configuration all the same.
  test.each(
    settings.flatMap((s) => [
      { ...s, value: s.min },
      { ...s, value: s.max },
    ]),
  )('$env = $value is taken', (s) => {
    const { config, reason } = inForce({ ...base, [s.env]: String(s.value) });
    expect(reason).not.toContain(refusal(s));
    expect(valueIn(config, s.name)).toBe(s.value);
  });

  test.each(
    settings.flatMap((s) => [
      { ...s, value: s.min - 1 },
      { ...s, value: s.max + 1 },
    ]),
  )('$env = $value is refused, and its default stands in', (s) => {
    const parsed = loadConfig({ ...base, [s.env]: String(s.value) });
    expect(parsed).toMatchObject({ ok: false, error: { reason: expect.stringContaining(refusal(s)) } });
    if (!parsed.ok) expect(valueIn(parsed.error.fallback, s.name)).toBe(s.default);
  });

  test.each(['-0', '+5', '1e3', '0x10', '5 ms', '9007199254740993'])('%p is not a whole number', (raw) => {
    expect(inForce({ ...base, ATTR_MAX_COUNT: raw }).reason).toContain(
      'ATTR_MAX_COUNT must be a whole number from 1 to 1000',
    );
  });

  test('surrounding blanks are trimmed; a blank value is the default', () => {
    expect(inForce({ ...base, ATTR_MAX_COUNT: ' 7 ' }).config.limits.maxCount).toBe(7);
    expect(inForce({ ...base, ATTR_MAX_COUNT: '  ' })).toMatchObject({
      reason: '',
      config: { limits: { maxCount: 50 } },
    });
  });
});

describe('the fallback of a failed parse', () => {
  test.each([
    ['a bad number', { FLAG_DEADLINE_MS: 'eight' }],
    ['a bad API host', { GENESYS_API_BASE_URL: 'ftp://api.example' }],
    ['a bad login host', { GENESYS_LOGIN_BASE_URL: 'https://user:pw@login.example' }],
    ['a bad proxy', { GENESYS_HTTPS_PROXY: 'https://proxy.example:3128' }],
    ['a bad purpose', { DEFAULT_PARTICIPANT_PURPOSE: 'cust omer' }],
    ['a bad namespace', { METRICS_NAMESPACE: 'AWS/Lambda' }],
    ['all of them', { FLAG_DEADLINE_MS: 'eight', METRICS_NAMESPACE: 'AWS/Lambda', GENESYS_HTTPS_PROXY: 'x' }],
  ])('%s: the configuration with the bad values unset, every good one kept (log level too)', (_case, bad) => {
    const good = {
      ...base,
      LOG_LEVEL: 'debug',
      FLAG_SAFETY_MARGIN_MS: '250',
      ATTR_MAX_COUNT: '7',
      GENESYS_API_BASE_URL: 'http://127.0.0.1:8080',
      AWS_LAMBDA_FUNCTION_NAME: 'flagger-dev',
      METRICS_NAMESPACE: 'Team/Flagger',
      WEBHOOK_TOKEN_SECRET_ID: 'webhook/token',
      QUEUE_ACCEPTS: 'eventbridge',
      EVENT_SOURCES: 'idv',
    };
    const parsed = loadConfig({ ...good, ...bad });
    if (parsed.ok) throw new Error('expected a failed parse');
    // Each bad value gives way to its default, as if it were not set; nothing else changes.
    const unset = loadConfig(Object.fromEntries(Object.entries(good).filter(([name]) => !(name in bad))));
    if (!unset.ok) throw new Error(unset.error.reason);
    expect(parsed.error.fallback).toEqual(unset.value);
    expect(parsed.error.fallback.logLevel).toBe('debug');
    expect(parsed.error.reason).toMatch(/^configuration: /);
  });

  test('every problem is in the reason, joined', () => {
    const parsed = loadConfig({ FLAG_DEADLINE_MS: 'eight', LOG_LEVEL: 'loud', METRICS_NAMESPACE: 'AWS/x' });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.reason.split('; ').map((p) => p.replace(/^configuration: /, '').split(' ')[0])).toEqual([
      'FLAG_DEADLINE_MS',
      'GENESYS_CREDENTIALS_SECRET_ID',
      'METRICS_NAMESPACE',
      'LOG_LEVEL',
    ]);
  });

  test('a bad LOG_LEVEL falls back to info; an unset secret id to ""', () => {
    const parsed = loadConfig({ LOG_LEVEL: 'loud' });
    expect(parsed).toMatchObject({ ok: false, error: { fallback: { logLevel: 'info', credentialsSecretId: '' } } });
  });
});

describe('GENESYS_HTTPS_PROXY', () => {
  test.each([
    ['http://proxy.internal:3128', 'http://proxy.internal:3128'],
    [' http://proxy.internal:3128/ ', 'http://proxy.internal:3128'],
    ['http://10.0.0.7', 'http://10.0.0.7'],
    ['http://[fd00::7]:3128', 'http://[fd00::7]:3128'],
  ])('%p is the proxy %p', (raw, url) => {
    expect(inForce({ ...base, GENESYS_HTTPS_PROXY: raw })).toMatchObject({
      reason: '',
      config: { genesysProxyUrl: url },
    });
  });

  test.each([undefined, '', '  '])('%p: no proxy', (raw) => {
    const { config, reason } = inForce({ ...base, GENESYS_HTTPS_PROXY: raw });
    expect(reason).toBe('');
    expect(config.genesysProxyUrl).toBeUndefined();
  });

  test.each([
    'http://user:proxy-pass-sentinel@proxy:3128',
    'http://:proxy-pass-sentinel@proxy:3128',
    'http://proxy-pass-sentinel@proxy:3128',
  ])('user info is refused, and not repeated: %p', (raw) => {
    const { config, reason } = inForce({ ...base, GENESYS_HTTPS_PROXY: raw });
    expect(reason).toContain('GENESYS_HTTPS_PROXY must be http://host:port, without credentials, path or query');
    expect(config.genesysProxyUrl).toBeUndefined();
    expect(JSON.stringify({ config, reason })).not.toContain('proxy-pass-sentinel');
  });

  test.each([
    'https://proxy:3128',
    'socks5://proxy:1080',
    'ftp://proxy',
    'proxy:3128',
    'http://proxy:3128/path',
    'http://proxy:3128/?a=1',
    'http://proxy:3128/#x',
  ])('%p is not http://host:port', (raw) => {
    const { config, reason } = inForce({ ...base, GENESYS_HTTPS_PROXY: raw });
    expect(reason).toContain('GENESYS_HTTPS_PROXY must be http://host:port');
    expect(config.genesysProxyUrl).toBeUndefined();
  });

  test('not a URL at all', () => {
    expect(inForce({ ...base, GENESYS_HTTPS_PROXY: 'not a url' }).reason).toContain('GENESYS_HTTPS_PROXY is not a URL');
  });

  test('HTTPS_PROXY and its kin are never read', () => {
    const env = { ...base, HTTPS_PROXY: 'http://a:1', https_proxy: 'http://b:2', ALL_PROXY: 'http://c:3' };
    expect(inForce(env).config.genesysProxyUrl).toBeUndefined();
  });
});

describe('METRICS_NAMESPACE', () => {
  test.each([
    [undefined, 'GenesysParticipantFlagger'],
    ['  ', 'GenesysParticipantFlagger'],
    ['GenesysParticipantFlagger/prod', 'GenesysParticipantFlagger/prod'],
    [' Team.Flagger_1/a#b:c-d ', 'Team.Flagger_1/a#b:c-d'],
    ['N'.repeat(255), 'N'.repeat(255)],
    // Only the AWS/ prefix is reserved to AWS's own metrics.
    ['AWSFlagger', 'AWSFlagger'],
    ['Team/AWS/Flagger', 'Team/AWS/Flagger'],
  ])('%p is the namespace %p', (raw, namespace) => {
    expect(inForce({ ...base, METRICS_NAMESPACE: raw })).toMatchObject({
      reason: '',
      config: { metrics: { namespace } },
    });
  });

  test.each(['AWS/Lambda', 'AWS/', 'N'.repeat(256), 'has space', 'emoji✓', 'a,b'])(
    '%p is refused, and the default stands in',
    (raw) => {
      const { config, reason } = inForce({ ...base, METRICS_NAMESPACE: raw });
      expect(reason).toContain('METRICS_NAMESPACE must be a CloudWatch namespace');
      expect(config.metrics.namespace).toBe('GenesysParticipantFlagger');
    },
  );

  test("the function's name is Lambda's, or local outside it", () => {
    expect(inForce({ ...base, AWS_LAMBDA_FUNCTION_NAME: ' flagger-prod ' }).config.metrics.functionName).toBe(
      'flagger-prod',
    );
    expect(inForce(base).config.metrics.functionName).toBe('local');
  });
});

describe('a host override', () => {
  test.each([
    ['https://api.example/?', 'an empty query'],
    ['https://api.example/#', 'an empty fragment'],
    ['https://api.example/v2?x=1', 'a query'],
    ['https://api.example/#top', 'a fragment'],
  ])('%p (%s) is refused: the paths appended to it would not be paths', (raw) => {
    for (const name of ['GENESYS_API_BASE_URL', 'GENESYS_LOGIN_BASE_URL'] as const) {
      const { config, reason } = inForce({ ...base, [name]: raw });
      expect(reason).toContain(`${name} must be an http(s) URL without user info (a user name or password), query`);
      expect(config.apiBaseUrl ?? config.loginBaseUrl).toBeUndefined();
    }
  });

  test.each([
    ['http://127.0.0.1:8080/', 'http://127.0.0.1:8080'],
    ['https://gateway.example/genesys//', 'https://gateway.example/genesys'],
    ['HTTPS://API.Example:443', 'https://api.example'],
  ])('%p is the base %p, without trailing slashes', (raw, url) => {
    expect(inForce({ ...base, GENESYS_API_BASE_URL: raw }).config.apiBaseUrl).toBe(url);
  });
});

describe('the host overrides and overridesInForce', () => {
  test('none set: the config holds no override, nothing to log', () => {
    const { config } = inForce(base);
    expect(config).not.toHaveProperty('apiBaseUrl');
    expect(config).not.toHaveProperty('loginBaseUrl');
    expect(overridesInForce(config)).toEqual({});
  });

  test('each override alone, and both', () => {
    const api = { apiBaseUrl: 'http://127.0.0.1:8080' };
    const login = { loginBaseUrl: 'https://login.proxy.example/base' };
    expect(overridesInForce(api)).toEqual({ GENESYS_API_BASE_URL: '127.0.0.1:8080' });
    expect(overridesInForce(login)).toEqual({ GENESYS_LOGIN_BASE_URL: 'login.proxy.example' });
    expect(overridesInForce({ ...api, ...login })).toEqual({
      GENESYS_API_BASE_URL: '127.0.0.1:8080',
      GENESYS_LOGIN_BASE_URL: 'login.proxy.example',
    });
  });

  test('from the environment: the URLs kept whole in the config, hosts (with a port) by variable in the log', () => {
    const { config } = inForce({
      ...base,
      GENESYS_API_BASE_URL: 'https://gateway.example:8443/genesys/api',
      GENESYS_LOGIN_BASE_URL: 'https://gateway.example/genesys/login',
    });
    expect(config).toMatchObject({
      apiBaseUrl: 'https://gateway.example:8443/genesys/api',
      loginBaseUrl: 'https://gateway.example/genesys/login',
    });
    expect(overridesInForce(config)).toEqual({
      GENESYS_API_BASE_URL: 'gateway.example:8443',
      GENESYS_LOGIN_BASE_URL: 'gateway.example',
    });
  });
});

describe('bodyRulesFrom: which queue bodies the queue door takes', () => {
  test.each([undefined, '', '  '])('QUEUE_ACCEPTS %p: any body', (accepts) => {
    expect(bodyRulesFrom({ QUEUE_ACCEPTS: accepts, EVENT_SOURCES: 'idv' })).toEqual(ANY_BODY);
  });

  test.each([
    ['eventbridge', 'idv', { plain: false, sources: new Set(['idv']) }],
    ['eventbridge', ' idv , other.idv,, ', { plain: false, sources: new Set(['idv', 'other.idv']) }],
    ['eventbridge', undefined, { plain: false, sources: new Set() }],
    ['eventbridge,plain', 'idv', { plain: true, sources: new Set(['idv']) }],
    [' plain , eventbridge ', 'idv', { plain: true, sources: new Set(['idv']) }],
    ['plain', 'idv', { plain: true, sources: new Set() }],
  ])('QUEUE_ACCEPTS %p, EVENT_SOURCES %p', (accepts, sources, rules) => {
    expect(bodyRulesFrom({ QUEUE_ACCEPTS: accepts, EVENT_SOURCES: sources })).toEqual(rules);
  });

  test.each(['eventbrige', 'EventBridge', 'eventbridge,plain,other', 'eventbridge,', 'any'])(
    'a word it does not know (%p) takes nothing: a typo must not open the door',
    (accepts) => {
      expect(bodyRulesFrom({ QUEUE_ACCEPTS: accepts, EVENT_SOURCES: 'idv' })).toEqual({
        plain: false,
        sources: new Set(),
      });
    },
  );

  test('loadConfig carries them', () => {
    expect(inForce({ ...base, QUEUE_ACCEPTS: 'eventbridge', EVENT_SOURCES: 'idv' }).config.queueBodies).toEqual({
      plain: false,
      sources: new Set(['idv']),
    });
    expect(inForce(base).config.queueBodies).toEqual(ANY_BODY);
  });
});

describe("loadAuthorizerConfig: the webhook authorizer's own settings", () => {
  test('defaults, with no Genesys setting needed', () => {
    expect(loadAuthorizerConfig({})).toEqual({
      ok: true,
      value: {
        webhookTokenSecretId: '',
        attemptTimeoutMs: 3000,
        initPrefetchMs: 3000,
        safetyMarginMs: 500,
        secretMaxAgeMs: 300000,
        logLevel: 'info',
      },
    });
  });

  test('its settings from the environment', () => {
    expect(
      loadAuthorizerConfig({
        WEBHOOK_TOKEN_SECRET_ID: ' webhook/token ',
        FLAG_ATTEMPT_TIMEOUT_MS: '1500',
        FLAG_INIT_PREFETCH_MS: '0',
        FLAG_SAFETY_MARGIN_MS: '250',
        SECRET_CACHE_MAX_AGE_MS: '600000',
        LOG_LEVEL: 'WARN',
      }),
    ).toEqual({
      ok: true,
      value: {
        webhookTokenSecretId: 'webhook/token',
        attemptTimeoutMs: 1500,
        initPrefetchMs: 0,
        safetyMarginMs: 250,
        secretMaxAgeMs: 600000,
        logLevel: 'warn',
      },
    });
  });

  test("the flag's other settings are not its business, even when they are bad", () => {
    expect(
      loadAuthorizerConfig({
        FLAG_DEADLINE_MS: 'eight',
        ATTR_MAX_COUNT: '0',
        GENESYS_API_BASE_URL: 'ftp://x',
        GENESYS_HTTPS_PROXY: 'https://proxy',
        METRICS_NAMESPACE: 'AWS/x',
        // With the flag's deadline this would not fit; the authorizer has none.
        FLAG_ATTEMPT_TIMEOUT_MS: '20000',
      }),
    ).toMatchObject({ ok: true, value: { attemptTimeoutMs: 20000 } });
  });

  test.each([
    ['FLAG_ATTEMPT_TIMEOUT_MS', '0', 'FLAG_ATTEMPT_TIMEOUT_MS must be a whole number from 1 to 900000'],
    ['FLAG_INIT_PREFETCH_MS', '9001', 'FLAG_INIT_PREFETCH_MS must be a whole number from 0 to 9000'],
    ['FLAG_SAFETY_MARGIN_MS', 'half', 'FLAG_SAFETY_MARGIN_MS must be a whole number from 0 to 60000'],
  ])('%s = %p: a reason, the defaults meanwhile, and the log level as set', (name, raw, reason) => {
    expect(loadAuthorizerConfig({ [name]: raw, LOG_LEVEL: 'debug', WEBHOOK_TOKEN_SECRET_ID: 'webhook/token' })).toEqual(
      {
        ok: false,
        error: {
          reason: `configuration: ${reason}`,
          fallback: {
            webhookTokenSecretId: 'webhook/token',
            attemptTimeoutMs: 3000,
            initPrefetchMs: 3000,
            safetyMarginMs: 500,
            secretMaxAgeMs: 300000,
            logLevel: 'debug',
          },
        },
      },
    );
  });

  test('a bad LOG_LEVEL: a reason, and info meanwhile', () => {
    expect(loadAuthorizerConfig({ LOG_LEVEL: 'loud', FLAG_SAFETY_MARGIN_MS: '250' })).toEqual({
      ok: false,
      error: {
        reason: 'configuration: LOG_LEVEL must be one of debug, info, warn, error',
        fallback: {
          webhookTokenSecretId: '',
          attemptTimeoutMs: 3000,
          initPrefetchMs: 3000,
          safetyMarginMs: 250,
          secretMaxAgeMs: 300000,
          logLevel: 'info',
        },
      },
    });
  });
});
