/**
 * The rotation's composition: what createRotator makes of the environment, which events it acts
 * on, and what it logs, with every dependency a fake (Secrets Manager versions, the credentials
 * secret's source, Genesys, the clock, the log sink). Over real sockets and the real AWS SDK it is
 * exercised by test/integration/token-mode.test.ts.
 */
import type { SecretFetch, SecretSource } from '../../lib/aws/secret-source';
import type { Env } from '../../lib/config';
import type { HttpClient, HttpReply, HttpRequest } from '../../lib/genesys/api-client';
import { createLogger } from '../../lib/log';
import { createRotator, type RotatorDeps } from '../../lib/rotation/create-rotator';
import { ROTATION_STEPS, type RotationStep } from '../../lib/rotation/rotation-steps';
import { type Sensitive, sensitive } from '../../lib/sensitive';
import { FakeVersions } from './fake-versions';

const CREDENTIALS_ID = 'genesys/flagger/credentials';
const TOKEN_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:genesys/flagger/token-AbCdEf';
const OTHER_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:payments/api-key-XyZ123';
const CLIENT_SECRET = 'sentinel-client-secret-61e0';
const MINTED = 'sentinel-minted-token-9b3c';
const NOW = Date.UTC(2026, 4, 1, 6);
const DAY = 86_400_000;
const ENV: Env = { GENESYS_CREDENTIALS_SECRET_ID: CREDENTIALS_ID, GENESYS_TOKEN_SECRET_ID: TOKEN_ID };

interface Line {
  level: string;
  message: string;
  [field: string]: unknown;
}

function setup(env: Env = ENV, options: { clientSecret?: string } = {}) {
  const lines: Line[] = [];
  const raw: string[] = [];
  const versions = new FakeVersions();
  const credentials = {
    clientSecret: options.clientSecret ?? CLIENT_SECRET,
    reads: [] as string[],
  };
  const secretSource: SecretSource = {
    fetch: async (secretId): Promise<SecretFetch> => {
      credentials.reads.push(secretId);
      return {
        ok: true,
        value: sensitive(
          JSON.stringify({
            clientId: 'client-id',
            clientSecret: credentials.clientSecret,
            environment: 'mypurecloud.com',
          }),
        ),
      };
    },
  };
  const requests: HttpRequest[] = [];
  const http: HttpClient = async (request): Promise<HttpReply> => {
    requests.push(request);
    const body = request.url.endsWith('/oauth/token')
      ? JSON.stringify({ access_token: MINTED, expires_in: 86_400 })
      : '{}';
    return { kind: 'response', status: 200, headers: {}, body, truncated: false };
  };
  const deps: RotatorDeps = {
    versions,
    secretSource,
    http,
    now: () => NOW,
    logger: createLogger({
      level: 'debug',
      now: () => NOW,
      sink: (line) => {
        raw.push(line);
        lines.push(JSON.parse(line) as Line);
      },
    }),
  };
  const rotator = createRotator(env, deps);
  const step = (Step: RotationStep, version = 'v-pending', SecretId = TOKEN_ID) =>
    rotator.rotate({ SecretId, ClientRequestToken: version, Step });
  return { rotator, step, versions, credentials, requests, lines, raw };
}

/** A stored token, as createSecret would have put it in the pending version. */
function tokenValue(expiresAt: number): Sensitive {
  return sensitive(
    JSON.stringify({
      accessToken: MINTED,
      expiresAt: new Date(expiresAt).toISOString(),
      environment: 'mypurecloud.com',
    }),
  );
}

/** Nothing was read, written or sent. */
function untouched(world: ReturnType<typeof setup>): void {
  expect(world.versions.calls).toEqual([]);
  expect(world.credentials.reads).toEqual([]);
  expect(world.requests).toEqual([]);
}

describe('a configuration it cannot rotate with: every rotate returns the reason and logs it', () => {
  test.each([
    [
      'no GENESYS_CREDENTIALS_SECRET_ID',
      { GENESYS_TOKEN_SECRET_ID: TOKEN_ID },
      'GENESYS_CREDENTIALS_SECRET_ID is not set: the rotation needs the OAuth client',
    ],
    [
      'no GENESYS_TOKEN_SECRET_ID',
      { GENESYS_CREDENTIALS_SECRET_ID: CREDENTIALS_ID },
      'GENESYS_TOKEN_SECRET_ID is not set: the rotation rotates only the token secret it names',
    ],
    [
      'a GENESYS_TOKEN_SECRET_ID of spaces',
      { ...ENV, GENESYS_TOKEN_SECRET_ID: '   ' },
      'GENESYS_TOKEN_SECRET_ID is not set: the rotation rotates only the token secret it names',
    ],
    ['neither', {}, 'configuration: GENESYS_CREDENTIALS_SECRET_ID is not set (nor GENESYS_TOKEN_SECRET_ID)'],
    [
      'an invalid setting',
      { ...ENV, FLAG_ATTEMPT_TIMEOUT_MS: 'soon' },
      'configuration: FLAG_ATTEMPT_TIMEOUT_MS must be a whole number from 1 to 900000',
    ],
    [
      'a login host override with a password in it',
      { ...ENV, GENESYS_LOGIN_BASE_URL: `https://user:${CLIENT_SECRET}@login.example.test` },
      'configuration: GENESYS_LOGIN_BASE_URL must be an http(s) URL without user info (a user name or password), ' +
        'query or fragment',
    ],
  ])('%s', async (_case, env, reason) => {
    const world = setup(env);
    const events = [
      { SecretId: TOKEN_ID, ClientRequestToken: 'v-pending', Step: 'createSecret' },
      { SecretId: OTHER_ID, ClientRequestToken: 'v-pending', Step: 'finishSecret' },
      'not an event',
    ];
    for (const event of events) expect(await world.rotator.rotate(event)).toEqual({ ok: false, error: reason });
    expect(world.lines).toEqual(
      events.map(() => ({ level: 'error', time: expect.any(String), message: 'token rotation failed', reason })),
    );
    untouched(world);
    expect(world.raw.join('\n')).not.toContain(CLIENT_SECRET);
  });
});

test.each([
  ['nothing', undefined],
  ['an empty object', {}],
  ['no version', { SecretId: TOKEN_ID, Step: 'createSecret' }],
  ['an unknown step', { SecretId: TOKEN_ID, ClientRequestToken: 'v-pending', Step: 'rotateSecret' }],
])('not a rotation event (%s): refused and logged, nothing read', async (_case, event) => {
  const world = setup();
  expect(await world.rotator.rotate(event)).toEqual({ ok: false, error: 'not a Secrets Manager rotation event' });
  expect(world.lines).toEqual([
    {
      level: 'error',
      time: expect.any(String),
      message: 'token rotation failed',
      reason: 'not a Secrets Manager rotation event',
    },
  ]);
  untouched(world);
});

test.each([
  ['another secret of the account', OTHER_ID],
  ["the token secret's name where the stack set its ARN", 'genesys/flagger/token'],
  ['the ARN with a suffix', `${TOKEN_ID}-x`],
])('an event for %s is refused before anything is read or written', async (_case, secretId) => {
  const world = setup();
  for (const Step of ROTATION_STEPS) {
    expect(await world.step(Step, 'v-pending', secretId)).toEqual({
      ok: false,
      error:
        'refused: the event names another secret than the token secret this function rotates ' +
        '(GENESYS_TOKEN_SECRET_ID); nothing was read or written',
    });
  }
  untouched(world);
  expect(
    world.lines.map(({ level, message, secretId: id, version, step }) => ({ level, message, id, version, step })),
  ).toEqual(
    ROTATION_STEPS.map((step) => ({
      level: 'error',
      message: 'token rotation step failed',
      id: secretId,
      version: 'v-pending',
      step,
    })),
  );
});

describe("a Secrets Manager call that fails: the step's reason names the operation and the AWS error", () => {
  test.each([
    ['describe', 'createSecret', 'AccessDeniedException', 'DescribeSecret'],
    ['putPending', 'createSecret', 'ThrottlingException', 'PutSecretValue'],
    ['getValue', 'testSecret', 'InternalServiceError', 'GetSecretValue'],
    ['makeCurrent', 'finishSecret', 'InvalidParameterException', 'UpdateSecretVersionStage'],
  ] as const)('%s failing in %s: returned and logged as the step failing', async (method, step, name, operation) => {
    const world = setup();
    if (step !== 'createSecret') world.versions.values.set('v-pending', tokenValue(NOW + DAY));
    world.versions.failing.set(method, name);
    const reason = `${step}: Secrets Manager ${operation} failed: ${name}`;
    expect(await world.step(step)).toEqual({ ok: false, error: reason });
    expect(world.lines.at(-1)).toEqual({
      level: 'error',
      time: expect.any(String),
      message: 'token rotation step failed',
      secretId: TOKEN_ID,
      version: 'v-pending',
      step,
      reason,
    });
    expect(world.lines.map((line) => line.message)).not.toContain('unexpected error');
    expect(world.raw.join('\n')).not.toContain(MINTED);
  });
});

describe('anything thrown is a bug, and named as one', () => {
  test.each([
    ['a TypeError from the code', new TypeError(`cannot read ${MINTED}`), 'TypeError'],
    ['a string', `a string thrown: ${MINTED}`, 'string'],
    [
      'an Error without $metadata',
      Object.assign(new Error(MINTED), { name: 'AccessDeniedException' }),
      'AccessDeniedException',
    ],
    [
      // awsSecretVersions answers the SDK's errors with a value: one thrown got past it, a bug as well.
      'an AWS SDK error, with its $metadata',
      Object.assign(new Error(`not authorized; value ${MINTED}`), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
      }),
      'AccessDeniedException',
    ],
  ] as const)('%s: an unexpected error with its name and frames, never its message', async (_case, error, name) => {
    const world = setup();
    world.versions.throwing = { method: 'describe', error };
    const outcome = await world.step('createSecret');
    expect(outcome).toEqual({
      ok: false,
      error: 'unexpected error in the rotation (a bug): its name and stack frames are in the log',
    });
    expect(world.lines.at(-2)).toMatchObject({ message: 'unexpected error', error: { name } });
    expect(world.lines.at(-1)).toMatchObject({ message: 'token rotation step failed', step: 'createSecret' });
    expect(world.raw.join('\n')).not.toContain(MINTED);
  });
});

test('each step logs one line with secretId, version and step: info when done, error when it failed', async () => {
  const world = setup();
  await world.step('setSecret');
  await world.step('testSecret'); // nothing stored yet
  expect(world.lines).toEqual([
    {
      level: 'info',
      time: new Date(NOW).toISOString(),
      message: 'token rotation step done',
      secretId: TOKEN_ID,
      version: 'v-pending',
      step: 'setSecret',
      detail: 'setSecret: nothing to set, Genesys issued the token',
    },
    {
      level: 'error',
      time: new Date(NOW).toISOString(),
      message: 'token rotation step failed',
      secretId: TOKEN_ID,
      version: 'v-pending',
      step: 'testSecret',
      reason: 'testSecret: the pending version holds no token (createSecret has not stored one)',
    },
  ]);
});

test(
  'a rotation through the fakes: the credentials secret GENESYS_CREDENTIALS_SECRET_ID names, a token expiring ' +
    'from the injected clock, and no log line or outcome with the client secret or the token',
  async () => {
    const world = setup();
    const outcomes = [];
    for (const Step of ROTATION_STEPS) outcomes.push(await world.step(Step));
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true, true]);
    expect(world.credentials.reads[0]).toBe(CREDENTIALS_ID);
    expect(new Set(world.credentials.reads)).toEqual(new Set([CREDENTIALS_ID]));
    expect(world.versions.calls.every((call) => call.split(' ')[1] === TOKEN_ID)).toBe(true);
    expect(JSON.parse(world.versions.values.get('v-pending')?.reveal() ?? '{}')).toEqual({
      accessToken: MINTED,
      expiresAt: new Date(NOW + DAY).toISOString(),
      environment: 'mypurecloud.com',
    });
    expect(Object.fromEntries(world.versions.labels)).toEqual({
      'v-current': ['AWSPREVIOUS'],
      'v-pending': ['AWSPENDING', 'AWSCURRENT'],
    });
    expect(world.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST https://login.mypurecloud.com/oauth/token',
      'GET https://api.mypurecloud.com/api/v2/tokens/me',
      'GET https://api.mypurecloud.com/api/v2/tokens/me',
    ]);

    const basic = Buffer.from(`client-id:${CLIENT_SECRET}`).toString('base64');
    const said = [...world.raw, ...outcomes.map((o) => (o.ok ? o.value : o.error))].join('\n');
    expect(world.raw).toHaveLength(4);
    for (const secret of [CLIENT_SECRET, basic, MINTED]) expect(said).not.toContain(secret);
  },
);

test('every new token is minted with the credentials as they are now, not as cached', async () => {
  const world = setup();
  world.versions.labels.set('v-next', []);
  expect(await world.step('createSecret')).toMatchObject({ ok: true });
  world.credentials.clientSecret = 'sentinel-rotated-client-secret-2d8e';
  world.versions.labels.set('v-pending', ['AWSCURRENT']);
  world.versions.labels.set('v-current', []);
  world.versions.labels.set('v-next', ['AWSPENDING']);
  expect(await world.step('createSecret', 'v-next')).toMatchObject({ ok: true });
  const basics = world.requests
    .filter((r) => r.url.endsWith('/oauth/token'))
    .map((r) => Buffer.from(r.authorization?.reveal().replace(/^Basic /, '') ?? '', 'base64').toString());
  expect(basics).toEqual([`client-id:${CLIENT_SECRET}`, 'client-id:sentinel-rotated-client-secret-2d8e']);
});

describe('host overrides', () => {
  test('in force: warned of at creation with their hosts; the client secret goes to the login override', async () => {
    const world = setup({
      ...ENV,
      GENESYS_LOGIN_BASE_URL: 'https://login.example.test:8443',
      GENESYS_API_BASE_URL: 'http://127.0.0.1:9000/base/',
    });
    expect(world.lines).toEqual([
      {
        level: 'warn',
        time: expect.any(String),
        message: 'Genesys host override in force',
        GENESYS_API_BASE_URL: '127.0.0.1:9000',
        GENESYS_LOGIN_BASE_URL: 'login.example.test:8443',
      },
    ]);
    expect(await world.step('createSecret')).toMatchObject({ ok: true });
    expect(world.requests.map((r) => r.url)).toEqual(['https://login.example.test:8443/oauth/token']);
  });

  test('none: nothing logged at creation', () => {
    expect(setup().lines).toEqual([]);
  });
});
