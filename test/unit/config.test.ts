import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, NUMERIC_SETTINGS } from '../../lib/config';

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
