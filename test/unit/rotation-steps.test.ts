/**
 * The four rotation steps, each against in-memory Secrets Manager versions and labels, a scripted
 * credentials source and a scripted Genesys, on a fixed clock. The same steps through the real AWS
 * SDK and the emulators are in test/integration/token-mode.test.ts; here each state a step can
 * find the secret in has its own case, with what the step read, wrote and sent.
 */
import type { HttpClient, HttpReply, HttpRequest } from '../../lib/genesys/api-client';
import type { CredentialsFetch, CredentialsSource } from '../../lib/genesys/credentials';
import {
  parseRotationEvent,
  rotate,
  ROTATION_STEPS,
  STEP_SLACK_MS,
  type RotationDeps,
  type RotationEvent,
  type RotationOutcome,
  type RotationStep,
} from '../../lib/rotation/rotation-steps';
import type { SecretsOperation } from '../../lib/aws/secret-versions';
import { sensitive } from '../../lib/sensitive';
import { FakeVersions } from './fake-versions';

const SECRET_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:genesys/flagger/token-AbCdEf';
const CURRENT = 'v-current';
const PENDING = 'v-pending';
const CLIENT_SECRET = 'sentinel-client-secret-3f9a';
const MINTED = 'sentinel-minted-token-d41b';
const OLD_TOKEN = 'sentinel-old-token-0c77';
const NOW = Date.UTC(2026, 2, 1, 9);
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const LOGIN = 'https://login.mypurecloud.ie';
const API = 'https://api.mypurecloud.ie';

const storedToken = (accessToken: string, expiresAt: number): string =>
  JSON.stringify({ accessToken, expiresAt: new Date(expiresAt).toISOString(), environment: 'mypurecloud.ie' });

/** Genesys, scripted: the token endpoint's answer and /api/v2/tokens/me's status; every request recorded. */
class FakeGenesys {
  tokenReply: HttpReply = reply(200, JSON.stringify({ access_token: MINTED, expires_in: 86_400 }));
  tokensMe: HttpReply = reply(200, '{}');
  readonly requests: HttpRequest[] = [];

  readonly http: HttpClient = async (request) => {
    this.requests.push(request);
    if (request.method === 'POST' && request.url === `${LOGIN}/oauth/token`) return this.tokenReply;
    if (request.method === 'GET' && request.url === `${API}/api/v2/tokens/me`) return this.tokensMe;
    return reply(404, '{}');
  };

  /** `METHOD url authorization`, the part each case checks. */
  sent(): string[] {
    return this.requests.map((r) => `${r.method} ${r.url} ${r.authorization?.reveal() ?? ''}`);
  }
}

function reply(status: number, body: string): HttpReply {
  return { kind: 'response', status, headers: {}, body, truncated: false };
}

const BASIC = `Basic ${Buffer.from(`client-id:${CLIENT_SECRET}`).toString('base64')}`;

function setup() {
  const versions = new FakeVersions({ [CURRENT]: storedToken(OLD_TOKEN, NOW + HOUR) });
  const genesys = new FakeGenesys();
  const credentialReads: Parameters<CredentialsSource>[1][] = [];
  let credentials: CredentialsFetch = {
    ok: true,
    value: {
      clientId: 'client-id',
      clientSecret: sensitive(CLIENT_SECRET),
      environment: 'mypurecloud.ie',
      hosts: { apiBaseUrl: API, loginBaseUrl: LOGIN },
    },
  };
  const deps: RotationDeps = {
    versions,
    credentials: async (_signal, read) => {
      credentialReads.push(read);
      return credentials;
    },
    http: genesys.http,
    now: () => NOW,
    attemptTimeoutMs: 3000,
    refreshMarginMs: MIN,
  };
  const outcomes: RotationOutcome[] = [];
  const step = async (Step: RotationStep, version = PENDING): Promise<RotationOutcome> => {
    const outcome = await rotate({ SecretId: SECRET_ID, ClientRequestToken: version, Step }, deps);
    outcomes.push(outcome);
    return outcome;
  };
  return {
    versions,
    genesys,
    credentialReads,
    setCredentials: (fetch: CredentialsFetch) => (credentials = fetch),
    step,
    outcomes,
  };
}

/** With the pending version holding a token that expires at `expiresAt`. */
function withPending(expiresAt: number) {
  const world = setup();
  world.versions.values.set(PENDING, sensitive(storedToken(MINTED, expiresAt)));
  return world;
}

describe('parseRotationEvent', () => {
  const event = { SecretId: SECRET_ID, ClientRequestToken: PENDING, Step: 'createSecret' };

  test.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', JSON.stringify(event)],
    ['a number', 42],
    ['an array', [event]],
    ['no SecretId', { ClientRequestToken: PENDING, Step: 'createSecret' }],
    ['no ClientRequestToken', { SecretId: SECRET_ID, Step: 'createSecret' }],
    ['a SecretId that is not text', { ...event, SecretId: 7 }],
    ['a ClientRequestToken that is not text', { ...event, ClientRequestToken: { id: PENDING } }],
    ['no Step', { SecretId: SECRET_ID, ClientRequestToken: PENDING }],
    ['an unknown Step', { ...event, Step: 'rotateSecret' }],
    ['a Step in the wrong case', { ...event, Step: 'CreateSecret' }],
  ])('%s: not a rotation event', (_case, value) => {
    expect(parseRotationEvent(value)).toBeUndefined();
  });

  test('each of the four steps; fields beyond the three are dropped', () => {
    for (const Step of ROTATION_STEPS) {
      const parsed = parseRotationEvent({ ...event, Step, RotationToken: 'x', SecretString: CLIENT_SECRET });
      expect(parsed).toEqual<RotationEvent>({ SecretId: SECRET_ID, ClientRequestToken: PENDING, Step });
      expect(Object.keys(parsed ?? {})).toEqual(['SecretId', 'ClientRequestToken', 'Step']);
    }
  });
});

describe('rotate: what every step checks first', () => {
  test.each(ROTATION_STEPS)('%s: rotation not enabled on the secret: refused, nothing else read', async (Step) => {
    const { versions, genesys, step } = setup();
    versions.rotationEnabled = false;
    expect(await step(Step)).toEqual({ ok: false, error: 'rotation is not enabled on the token secret' });
    expect(versions.calls).toEqual([`describe ${SECRET_ID}`]);
    expect(genesys.requests).toEqual([]);
  });

  test.each(ROTATION_STEPS)('%s: a version the secret does not have: refused', async (Step) => {
    const { versions, step } = setup();
    expect(await step(Step, 'v-unknown')).toEqual({
      ok: false,
      error: 'version v-unknown is not a version of the token secret',
    });
    expect(versions.calls).toEqual([`describe ${SECRET_ID}`]);
  });

  test.each(ROTATION_STEPS)('%s: a version that is AWSCURRENT already: done, nothing touched', async (Step) => {
    const { versions, genesys, credentialReads, step } = setup();
    expect(await step(Step, CURRENT)).toEqual({ ok: true, value: `${Step}: version is already AWSCURRENT` });
    expect(versions.calls).toEqual([`describe ${SECRET_ID}`]);
    expect(genesys.requests).toEqual([]);
    expect(credentialReads).toEqual([]);
  });

  test.each(ROTATION_STEPS)('%s: a version that is not AWSPENDING: refused, saying why', async (Step) => {
    const { versions, step } = setup();
    versions.labels.set('v-old', ['AWSPREVIOUS']);
    versions.labels.set('v-deprecated', []);
    for (const version of ['v-old', 'v-deprecated']) {
      expect(await step(Step, version)).toEqual({
        ok: false,
        error:
          `${Step}: version ${version} is not AWSPENDING ` +
          '(a stale pending version loses the label; the next rotation starts a new one)',
      });
    }
    expect(versions.calls.filter((c) => !c.startsWith('describe'))).toEqual([]);
  });
});

describe('createSecret', () => {
  test(
    'mints a token with the credentials read afresh and stores it as the pending version: ' +
      'the token, its expiry from now, the environment',
    async () => {
      const { versions, genesys, credentialReads, step } = setup();
      expect(await step('createSecret')).toEqual({
        ok: true,
        value: `createSecret: new token, expires ${new Date(NOW + DAY).toISOString()}`,
      });
      expect(credentialReads).toEqual([{ refresh: true }]);
      expect(genesys.sent()).toEqual([`POST ${LOGIN}/oauth/token ${BASIC}`]);
      expect(versions.pendingJson()).toEqual({
        accessToken: MINTED,
        expiresAt: new Date(NOW + DAY).toISOString(),
        environment: 'mypurecloud.ie',
      });
      expect(versions.labels.get(PENDING)).toEqual(['AWSPENDING']);
      expect(versions.labels.get(CURRENT)).toEqual(['AWSCURRENT']);
      expect(versions.calls).toContain(`putPending ${SECRET_ID} ${PENDING}`);
    },
  );

  test('a pending version that exists and will last is kept: nothing minted, nothing written', async () => {
    const { versions, genesys, credentialReads, step } = withPending(NOW + 6 * HOUR);
    const before = versions.values.get(PENDING);
    expect(await step('createSecret')).toEqual({ ok: true, value: 'createSecret: the pending version exists already' });
    expect(versions.values.get(PENDING)).toBe(before);
    expect(versions.calls).toEqual([`describe ${SECRET_ID}`, `getValue ${SECRET_ID} ${PENDING} AWSPENDING`]);
    expect(genesys.requests).toEqual([]);
    expect(credentialReads).toEqual([]);
  });

  test.each([
    [
      'a token that has 2 h left, less than rate(4 hours) needs',
      () => withPending(NOW + 2 * HOUR),
      'its token has 2 h left, less than the 6 h it must last (the rotation runs every 4 h in a 1 h window, ' +
        "plus 1 h to spare): it would expire before the next rotation replaces it. Raise the OAuth client's " +
        "token duration in Genesys (Admin > Integrations > OAuth > the client's Token Duration) to at least 6 h, " +
        'or rotate more often',
    ],
    [
      'a token that has expired',
      () => withPending(NOW - MIN),
      `its token expired at ${new Date(NOW - MIN).toISOString()}`,
    ],
    [
      'a value that is no stored token',
      () => {
        const world = setup();
        world.versions.values.set(PENDING, sensitive('{}'));
        return world;
      },
      'the token secret lacks accessToken, expiresAt',
    ],
  ])('a stale pending version (%s) loses AWSPENDING, and the step says so', async (_case, start, why) => {
    const { versions, genesys, step } = start();
    expect(await step('createSecret')).toEqual({
      ok: false,
      error:
        `createSecret: the pending version is stale (${why}); ` +
        'its AWSPENDING label is removed, so the next rotation stores a fresh token',
    });
    expect(versions.labels.get(PENDING)).toEqual([]);
    expect(versions.calls.at(-1)).toBe(`clearPending ${SECRET_ID} ${PENDING}`);
    expect(genesys.requests).toEqual([]);
  });

  test('a token that lasts exactly until the next rotation is stored; one a second shorter is refused', async () => {
    const lasts = setup();
    lasts.genesys.tokenReply = reply(200, JSON.stringify({ access_token: MINTED, expires_in: 6 * 3600 }));
    expect(await lasts.step('createSecret')).toMatchObject({ ok: true });

    const short = setup();
    short.genesys.tokenReply = reply(200, JSON.stringify({ access_token: MINTED, expires_in: 6 * 3600 - 1 }));
    expect(await short.step('createSecret')).toEqual({ ok: false, error: expect.stringContaining('Token Duration') });
    expect(short.versions.values.has(PENDING)).toBe(false);
  });

  test.each([
    [
      'rate(4 hours)',
      { scheduleExpression: 'rate(4 hours)' },
      2 * 3600,
      'Genesys issued a token that lives 2 h, less than the 6 h it must last ' +
        '(the rotation runs every 4 h in a 1 h window, plus 1 h to spare)',
      '6 h',
    ],
    [
      'a daily rotation',
      { automaticallyAfterDays: 1 },
      86_400,
      'Genesys issued a token that lives 1 d, less than the 2 d 1 h it must last ' +
        '(the rotation runs every 1 d in a 1 d window, plus 1 h to spare)',
      '2 d 1 h',
    ],
    [
      'a cron expression it cannot read',
      { scheduleExpression: 'cron(0 8 * * ? *)' },
      1800,
      'Genesys issued a token that lives 30 min, less than the 1 h it must last ' +
        '(1 h to spare (the rotation schedule could not be read))',
      '1 h',
    ],
    [
      'no rotation rules',
      undefined,
      1800,
      'Genesys issued a token that lives 30 min, less than the 1 h it must last ' +
        '(1 h to spare (the rotation schedule could not be read))',
      '1 h',
    ],
  ])(
    'under %s, a token that dies before the next rotation is refused, naming the Token Duration; nothing stored',
    async (_case, rules, expiresIn, lives, atLeast) => {
      const { versions, genesys, step } = setup();
      versions.rotationRules = rules;
      genesys.tokenReply = reply(200, JSON.stringify({ access_token: MINTED, expires_in: expiresIn }));
      expect(await step('createSecret')).toEqual({
        ok: false,
        error:
          `createSecret: ${lives}: it would expire before the next rotation replaces it. ` +
          "Raise the OAuth client's token duration in Genesys " +
          `(Admin > Integrations > OAuth > the client's Token Duration) to at least ${atLeast}, or rotate more often`,
      });
      expect(versions.values.has(PENDING)).toBe(false);
      expect(versions.calls.filter((c) => c.startsWith('putPending'))).toEqual([]);
    },
  );

  test.each([
    [
      'the client refused, with its OAuth error code',
      reply(401, JSON.stringify({ error: 'invalid_client', error_description: `bad secret ${CLIENT_SECRET}` })),
      'the login host refused the OAuth client (401 invalid_client)',
    ],
    ['the login host failing', reply(503, 'unavailable'), 'token endpoint answered 503'],
    ['a reply with no usable token', reply(200, '{"access_token":""}'), 'token reply had no usable access_token'],
    ['no answer', { kind: 'network', reason: 'reset', code: 'ECONNRESET' } as const, 'token request failed: reset'],
    [
      'the egress proxy refusing the tunnel',
      { kind: 'proxy-refused', proxyStatus: 403 } as const,
      'the egress proxy (GENESYS_HTTPS_PROXY) refused the tunnel to Genesys: it answered CONNECT with 403',
    ],
  ])('%s: the login host refusal reason is the outcome; nothing stored', async (_case, answer, reason) => {
    const { versions, genesys, step } = setup();
    genesys.tokenReply = answer;
    expect(await step('createSecret')).toEqual({ ok: false, error: reason });
    expect(versions.values.has(PENDING)).toBe(false);
  });

  test('credentials that cannot be read: their reason is the outcome; nothing minted', async () => {
    const { genesys, setCredentials, step } = setup();
    setCredentials({ ok: false, error: { kind: 'config', reason: 'the credentials secret lacks clientSecret' } });
    expect(await step('createSecret')).toEqual({ ok: false, error: 'the credentials secret lacks clientSecret' });
    expect(genesys.requests).toEqual([]);
  });
});

test('setSecret: nothing to do, nothing read beyond the labels, nothing sent', async () => {
  const { versions, genesys, credentialReads, step } = setup();
  expect(await step('setSecret')).toEqual({ ok: true, value: 'setSecret: nothing to set, Genesys issued the token' });
  expect(versions.calls).toEqual([`describe ${SECRET_ID}`]);
  expect(genesys.requests).toEqual([]);
  expect(credentialReads).toEqual([]);
});

describe.each(['testSecret', 'finishSecret'] as const)('%s tests the pending token', (Step) => {
  test('with GET /api/v2/tokens/me on the API host, the pending token as the bearer', async () => {
    const { genesys, step } = withPending(NOW + DAY);
    expect(await step(Step)).toMatchObject({ ok: true });
    expect(genesys.sent()).toEqual([`GET ${API}/api/v2/tokens/me Bearer ${MINTED}`]);
  });

  test.each([
    [401, reply(401, '{"code":"bad.credentials"}'), 'GET /api/v2/tokens/me answered 401'],
    [403, reply(403, '{}'), 'GET /api/v2/tokens/me answered 403'],
    [302, reply(302, ''), 'GET /api/v2/tokens/me answered 302'],
    [500, reply(500, ''), 'GET /api/v2/tokens/me answered 500'],
    [
      'no answer',
      { kind: 'network', reason: 'timeout', code: 'ETIMEDOUT' } as const,
      'GET /api/v2/tokens/me failed: timeout',
    ],
  ])('fails on %s, and nothing becomes current', async (_status, answer, reason) => {
    const { versions, genesys, step } = withPending(NOW + DAY);
    genesys.tokensMe = answer;
    expect(await step(Step)).toEqual({ ok: false, error: `${Step}: ${reason}` });
    expect(versions.labels.get(CURRENT)).toEqual(['AWSCURRENT']);
    expect(versions.labels.get(PENDING)).toEqual(['AWSPENDING']);
    expect(versions.calls.filter((c) => c.startsWith('makeCurrent'))).toEqual([]);
  });

  test('a pending version with no value yet: createSecret has not stored one', async () => {
    const { genesys, step } = setup();
    expect(await step(Step)).toEqual({
      ok: false,
      error: `${Step}: the pending version holds no token (createSecret has not stored one)`,
    });
    expect(genesys.requests).toEqual([]);
  });

  test(
    'a token minted a few minutes ago still passes (the step slack); one older than that is stale and ' +
      'loses AWSPENDING',
    async () => {
      // rate(4 hours) needs 6 h at createSecret; a later step accepts STEP_SLACK_MS less.
      const aged = withPending(NOW + 6 * HOUR - STEP_SLACK_MS);
      expect(await aged.step(Step)).toMatchObject({ ok: true });

      const stale = withPending(NOW + 6 * HOUR - STEP_SLACK_MS - MIN);
      expect(await stale.step(Step)).toEqual({
        ok: false,
        error: expect.stringContaining(
          `${Step}: the pending version is stale (its token has 5 h 44 min left, less than the 5 h 45 min it must`,
        ),
      });
      expect(stale.versions.labels.get(PENDING)).toEqual([]);
      expect(stale.genesys.requests).toEqual([]);
    },
  );
});

test('testSecret only tests: the labels stay as they are', async () => {
  const { versions, step } = withPending(NOW + DAY);
  expect(await step('testSecret')).toEqual({ ok: true, value: 'testSecret: the pending token works' });
  expect(versions.calls.filter((c) => !c.startsWith('getValue') && !c.startsWith('describe'))).toEqual([]);
});

test('finishSecret re-tests, then moves AWSCURRENT from the old current version (now AWSPREVIOUS)', async () => {
  const { versions, genesys, step } = withPending(NOW + DAY);
  expect(await step('finishSecret')).toEqual({ ok: true, value: 'finishSecret: the new token is AWSCURRENT' });
  expect(genesys.sent()).toEqual([`GET ${API}/api/v2/tokens/me Bearer ${MINTED}`]);
  expect(versions.calls.at(-1)).toBe(`makeCurrent ${SECRET_ID} ${PENDING} ${CURRENT}`);
  expect(versions.labels.get(PENDING)).toContain('AWSCURRENT');
  expect(versions.labels.get(CURRENT)).toEqual(['AWSPREVIOUS']);
});

test('the four steps in order, then each retried: one token minted, the new version current', async () => {
  const { versions, genesys, step } = setup();
  for (const Step of ROTATION_STEPS) expect(await step(Step)).toMatchObject({ ok: true });
  for (const Step of ROTATION_STEPS)
    expect(await step(Step)).toEqual({ ok: true, value: `${Step}: version is already AWSCURRENT` });
  expect(genesys.requests.filter((r) => r.url.endsWith('/oauth/token'))).toHaveLength(1);
  expect(JSON.parse(versions.values.get(PENDING)?.reveal() ?? '{}')).toMatchObject({ accessToken: MINTED });
  expect(versions.labels.get(CURRENT)).toEqual(['AWSPREVIOUS']);
});

describe('a Secrets Manager call that fails: the step says which operation and which AWS error', () => {
  const failure = (Step: RotationStep, operation: SecretsOperation, name: string): RotationOutcome => ({
    ok: false,
    error: `${Step}: Secrets Manager ${operation} failed: ${name}`,
  });

  test.each(ROTATION_STEPS)('%s: DescribeSecret failing, nothing else is read or sent', async (Step) => {
    const { versions, genesys, credentialReads, step } = withPending(NOW + DAY);
    versions.failing.set('describe', 'AccessDeniedException');
    expect(await step(Step)).toEqual(failure(Step, 'DescribeSecret', 'AccessDeniedException'));
    expect(versions.calls).toEqual([`describe ${SECRET_ID}`]);
    expect(genesys.requests).toEqual([]);
    expect(credentialReads).toEqual([]);
  });

  test.each(['createSecret', 'testSecret', 'finishSecret'] as const)(
    '%s: GetSecretValue failing is no "no value": nothing minted, tested or moved',
    async (Step) => {
      const { versions, genesys, step } = withPending(NOW + DAY);
      versions.failing.set('getValue', 'ThrottlingException');
      expect(await step(Step)).toEqual(failure(Step, 'GetSecretValue', 'ThrottlingException'));
      expect(genesys.requests).toEqual([]);
      expect(versions.calls.filter((c) => /^(putPending|makeCurrent|clearPending)/.test(c))).toEqual([]);
      expect(versions.labels.get(PENDING)).toEqual(['AWSPENDING']);
    },
  );

  test('createSecret: PutSecretValue failing, the minted token is not stored', async () => {
    const { versions, genesys, step } = setup();
    versions.failing.set('putPending', 'InternalServiceError');
    expect(await step('createSecret')).toEqual(failure('createSecret', 'PutSecretValue', 'InternalServiceError'));
    expect(genesys.requests).toHaveLength(1);
    expect(versions.values.has(PENDING)).toBe(false);
  });

  test('finishSecret: UpdateSecretVersionStage failing, AWSCURRENT stays where it was', async () => {
    const { versions, step } = withPending(NOW + DAY);
    versions.failing.set('makeCurrent', 'AccessDeniedException');
    expect(await step('finishSecret')).toEqual(
      failure('finishSecret', 'UpdateSecretVersionStage', 'AccessDeniedException'),
    );
    expect(versions.labels.get(CURRENT)).toEqual(['AWSCURRENT']);
    expect(versions.labels.get(PENDING)).toEqual(['AWSPENDING']);
  });

  test.each(['createSecret', 'testSecret', 'finishSecret'] as const)(
    '%s: a stale pending version whose label cannot be removed says both, and keeps the label',
    async (Step) => {
      const { versions, genesys, step } = withPending(NOW - MIN);
      versions.failing.set('clearPending', 'AccessDeniedException');
      expect(await step(Step)).toEqual({
        ok: false,
        error:
          `${Step}: the pending version is stale (its token expired at ${new Date(NOW - MIN).toISOString()}); ` +
          'removing its AWSPENDING label failed: ' +
          'Secrets Manager UpdateSecretVersionStage failed: AccessDeniedException',
      });
      expect(versions.labels.get(PENDING)).toEqual(['AWSPENDING']);
      expect(genesys.requests).toEqual([]);
    },
  );
});

test('no outcome of any step, in any state, contains the token or the client secret', async () => {
  const secrets = [MINTED, OLD_TOKEN, CLIENT_SECRET, BASIC.slice('Basic '.length)];
  const messages: string[] = [];
  const run = async (world: ReturnType<typeof setup>) => {
    for (const Step of ROTATION_STEPS) {
      for (const version of [PENDING, CURRENT, 'v-unknown']) await world.step(Step, version);
    }
    messages.push(...world.outcomes.map((o) => (o.ok ? o.value : o.error)));
  };
  await run(setup());
  await run(withPending(NOW + DAY));
  await run(withPending(NOW + HOUR));
  await run(withPending(NOW - HOUR));
  const refused = setup();
  refused.genesys.tokenReply = reply(401, JSON.stringify({ error: 'invalid_client', detail: CLIENT_SECRET }));
  await run(refused);
  const rejected = withPending(NOW + DAY);
  rejected.genesys.tokensMe = reply(401, JSON.stringify({ message: `token ${MINTED} revoked` }));
  await run(rejected);
  const short = setup();
  short.genesys.tokenReply = reply(200, JSON.stringify({ access_token: MINTED, expires_in: 60 }));
  await run(short);

  expect(messages.length).toBeGreaterThan(50);
  for (const message of messages) for (const secret of secrets) expect(message).not.toContain(secret);
});
