/**
 * Token mode: the rotation function keeps a live Genesys token in a secret (the four Secrets
 * Manager steps against the emulator, through the real AWS SDK), and the flagging function reads
 * its token from there, never touching the client secret.
 */
import { createLogger } from '../../lib/log';
import { ROTATION_STEPS } from '../../lib/rotation/rotation-steps';
import { createRotator, type Rotator } from '../../lib/rotation/create-rotator';
import { SECRET_NAME } from '../support/emulator-env';
import { invocation, newConversation, startHarness, type Harness } from '../support/harness';

const TOKEN_SECRET = 'genesys/flagger/token';

let h: Harness;
let rotator: Rotator;
const rotationLogs: string[] = [];

beforeEach(async () => {
  h = await startHarness();
  h.secrets.put(TOKEN_SECRET, '{}', { rotationEnabled: true });
  rotator = createRotator(
    { ...h.env, GENESYS_TOKEN_SECRET_ID: TOKEN_SECRET },
    { logger: createLogger({ sink: (l) => rotationLogs.push(l) }) },
  );
});
afterEach(async () => {
  await h.close();
});

/** What Secrets Manager does for one rotation: a pending version, then the four steps in order. */
async function rotateOnce(): Promise<string> {
  const version = h.secrets.beginRotation(TOKEN_SECRET);
  for (const Step of ROTATION_STEPS) {
    const outcome = await rotator.rotate({ SecretId: TOKEN_SECRET, ClientRequestToken: version, Step });
    if (!outcome.ok) throw new Error(`${Step}: ${outcome.error}`);
  }
  h.secrets.completeRotation(TOKEN_SECRET);
  return version;
}

const tokenFlagger = (extra: Record<string, string> = {}) => {
  const env: Record<string, string> = { ...h.env, GENESYS_TOKEN_SECRET_ID: TOKEN_SECRET, ...extra };
  delete env.GENESYS_CREDENTIALS_SECRET_ID; // token mode needs no client credentials at all
  return h.flagger(env);
};
const credentialReads = () => h.secrets.requests.filter((r) => r.secretId === SECRET_NAME).length;

test('a rotation stores a working token as the new current version, and keeps the old one as previous', async () => {
  const before = h.secrets.stagesOf(TOKEN_SECRET);
  const version = await rotateOnce();

  const stored = JSON.parse(h.secrets.valueAt(TOKEN_SECRET) ?? '') as {
    accessToken: string;
    expiresAt: string;
    environment: string;
  };
  expect(h.genesys.issuedTokens()).toContain(stored.accessToken);
  expect(stored.environment).toBe('mypurecloud.com');
  expect(Date.parse(stored.expiresAt)).toBeGreaterThan(Date.now() + 23 * 3600_000); // the emulator issues 24 h tokens
  expect(h.secrets.stagesOf(TOKEN_SECRET)[version]).toEqual(['AWSCURRENT']);
  expect(h.secrets.stagesOf(TOKEN_SECRET)[Object.keys(before)[0] ?? '']).toEqual(['AWSPREVIOUS']);
  // testSecret proved the token, and finishSecret proved it again before making it current; one grant.
  expect(h.genesys.requests.map((r) => `${r.route} ${r.status}`)).toEqual([
    'token 200',
    'tokens-me 200',
    'tokens-me 200',
  ]);
  expect(rotationLogs.join('\n')).not.toContain(stored.accessToken);
});

test('steps are idempotent: a retried createSecret keeps the pending token', async () => {
  const version = h.secrets.beginRotation(TOKEN_SECRET);
  const step = (Step: (typeof ROTATION_STEPS)[number]) =>
    rotator.rotate({ SecretId: TOKEN_SECRET, ClientRequestToken: version, Step });
  expect(await step('createSecret')).toMatchObject({ ok: true });
  const pending = h.secrets.valueAt(TOKEN_SECRET, 'AWSPENDING');
  expect(await step('createSecret')).toMatchObject({ ok: true, value: expect.stringContaining('exists already') });
  expect(h.secrets.valueAt(TOKEN_SECRET, 'AWSPENDING')).toBe(pending);
  expect(h.genesys.count('token')).toBe(1);
  for (const s of ['setSecret', 'testSecret', 'finishSecret'] as const)
    expect(await step(s)).toMatchObject({ ok: true });
  expect(await step('finishSecret')).toMatchObject({
    ok: true,
    value: expect.stringContaining('already AWSCURRENT'),
  });
});

test('a token Genesys refuses never becomes current', async () => {
  const version = h.secrets.beginRotation(TOKEN_SECRET);
  expect(
    await rotator.rotate({ SecretId: TOKEN_SECRET, ClientRequestToken: version, Step: 'createSecret' }),
  ).toMatchObject({ ok: true });
  h.genesys.revokeTokens();
  const tested = await rotator.rotate({ SecretId: TOKEN_SECRET, ClientRequestToken: version, Step: 'testSecret' });
  expect(tested).toEqual({ ok: false, error: 'testSecret: GET /api/v2/tokens/me answered 401' });
  expect(h.secrets.valueAt(TOKEN_SECRET)).toBe('{}');
});

describe('a rotation makes current only a token that will last until the next one', () => {
  const step = (version: string, Step: (typeof ROTATION_STEPS)[number], r: Rotator = rotator) =>
    r.rotate({ SecretId: TOKEN_SECRET, ClientRequestToken: version, Step });

  test(
    "createSecret refuses a token that expires before the next rotation, naming the OAuth client's token duration; " +
      'nothing is stored',
    async () => {
      h.secrets.setRotation(TOKEN_SECRET, { scheduleExpression: 'rate(4 hours)' });
      h.genesys.tokenLifetimeSeconds = 2 * 3600; // the client's token duration set to 2 h in Genesys
      const version = h.secrets.beginRotation(TOKEN_SECRET);
      const created = await step(version, 'createSecret');
      expect(created).toEqual({
        ok: false,
        error:
          'createSecret: Genesys issued a token that lives 2 h, less than the 6 h it must last ' +
          '(the rotation runs every 4 h in a 1 h window, plus 1 h to spare): ' +
          "it would expire before the next rotation replaces it. Raise the OAuth client's token duration in Genesys " +
          "(Admin > Integrations > OAuth > the client's Token Duration) to at least 6 h, or rotate more often",
      });
      expect(h.secrets.valueAt(TOKEN_SECRET, 'AWSPENDING')).toBeUndefined();
      expect(rotationLogs.at(-1)).toContain('"level":"error"');
      expect(rotationLogs.at(-1)).toContain('token duration');
      // With the schedule's own numbers: a daily rotation needs two days (the window closes at the end of the UTC day).
      h.secrets.setRotation(TOKEN_SECRET, { automaticallyAfterDays: 1 });
      h.genesys.tokenLifetimeSeconds = 86_400;
      expect(await step(version, 'createSecret')).toMatchObject({
        ok: false,
        error: expect.stringContaining(
          'less than the 2 d 1 h it must last (the rotation runs every 1 d in a 1 d window',
        ),
      });
    },
  );

  test(
    'a pending token that went stale while Secrets Manager retried is not tested forever: ' +
      'its AWSPENDING label goes, and the next rotation mints a fresh one',
    async () => {
      h.secrets.setRotation(TOKEN_SECRET, { scheduleExpression: 'rate(4 hours)' });
      const version = h.secrets.beginRotation(TOKEN_SECRET);
      expect(await step(version, 'createSecret')).toMatchObject({ ok: true });
      const pending = h.secrets.valueAt(TOKEN_SECRET, 'AWSPENDING');
      // 20 hours of retries later, the 24 h token has 4 h left: less than a rotation needs.
      const later = createRotator(
        { ...h.env, GENESYS_TOKEN_SECRET_ID: TOKEN_SECRET },
        { now: () => Date.now() + 20 * 3600_000, logger: createLogger({ sink: (l) => rotationLogs.push(l) }) },
      );
      for (const retried of ['createSecret', 'testSecret', 'finishSecret'] as const) {
        // a label only this test puts back, to try each step
        if (retried !== 'createSecret') h.secrets.beginRotation(TOKEN_SECRET);
        const v =
          retried === 'createSecret'
            ? version
            : (Object.entries(h.secrets.stagesOf(TOKEN_SECRET)).find(([, s]) => s.includes('AWSPENDING'))?.[0] ?? '');
        if (retried !== 'createSecret') expect(await step(v, 'createSecret')).toMatchObject({ ok: true });
        const outcome = await step(v, retried, later);
        expect(outcome).toMatchObject({
          ok: false,
          error: expect.stringContaining(`${retried}: the pending version is stale (its token has 4 h left`),
        });
        expect(h.secrets.stagesOf(TOKEN_SECRET)[v] ?? []).not.toContain('AWSPENDING');
      }
      expect(h.secrets.valueAt(TOKEN_SECRET)).toBe('{}'); // nothing stale ever became current
      // The next rotation starts a new version and stores a fresh token.
      await rotateOnce();
      expect(h.secrets.valueAt(TOKEN_SECRET)).not.toBe(pending);
      expect(JSON.parse(h.secrets.valueAt(TOKEN_SECRET) ?? '{}')).toMatchObject({ accessToken: expect.any(String) });
    },
  );

  test(
    'finishSecret makes current only a token that passes the test now, ' + 'whatever order the steps come in',
    async () => {
      const version = h.secrets.beginRotation(TOKEN_SECRET);
      expect(await step(version, 'finishSecret')).toEqual({
        ok: false,
        error: 'finishSecret: the pending version holds no token (createSecret has not stored one)',
      });
      expect(await step(version, 'createSecret')).toMatchObject({ ok: true });
      h.genesys.revokeTokens(); // refused after it was stored, before anything tested it
      expect(await step(version, 'finishSecret')).toEqual({
        ok: false,
        error: 'finishSecret: GET /api/v2/tokens/me answered 401',
      });
      expect(h.secrets.valueAt(TOKEN_SECRET)).toBe('{}');
      expect(h.secrets.stagesOf(TOKEN_SECRET)[version]).toEqual(['AWSPENDING']);
    },
  );
});

test('bad rotation events and states are refused', async () => {
  expect(await rotator.rotate({ SecretId: TOKEN_SECRET, Step: 'createSecret' })).toMatchObject({
    ok: false,
    error: 'not a Secrets Manager rotation event',
  });
  expect(
    await rotator.rotate({ SecretId: TOKEN_SECRET, ClientRequestToken: 'no-such-version', Step: 'createSecret' }),
  ).toMatchObject({ ok: false, error: expect.stringContaining('is not a version') });
  h.secrets.setRotation(TOKEN_SECRET, undefined);
  const version = h.secrets.beginRotation(TOKEN_SECRET);
  expect(
    await rotator.rotate({ SecretId: TOKEN_SECRET, ClientRequestToken: version, Step: 'createSecret' }),
  ).toMatchObject({ ok: false, error: 'rotation is not enabled on the token secret' });
  h.secrets.put(TOKEN_SECRET, '{}', { rotationEnabled: true });
  h.secrets.put(SECRET_NAME, JSON.stringify({ clientId: 'x', clientSecret: 'wrong', environment: 'mypurecloud.com' }));
  const refused = await rotator.rotate({
    SecretId: TOKEN_SECRET,
    ClientRequestToken: h.secrets.beginRotation(TOKEN_SECRET),
    Step: 'createSecret',
  });
  expect(refused).toMatchObject({ ok: false, error: expect.stringContaining('invalid_client') });
});

test(
  "a Secrets Manager call that fails is the step's reason, naming the operation and the AWS error, " +
    "never the service's message; nothing is stored",
  async () => {
    const version = h.secrets.beginRotation(TOKEN_SECRET);
    const step = (Step: (typeof ROTATION_STEPS)[number]) =>
      rotator.rotate({ SecretId: TOKEN_SECRET, ClientRequestToken: version, Step });
    h.secrets.script([{ error: 'AccessDeniedException' }]);
    expect(await step('createSecret')).toEqual({
      ok: false,
      error: 'createSecret: Secrets Manager DescribeSecret failed: AccessDeniedException',
    });
    // DescribeSecret, GetSecretValue of the pending version and of the credentials answer;
    // PutSecretValue is refused, after the token was minted.
    h.secrets.script([{ delayMs: 0 }, { delayMs: 0 }, { delayMs: 0 }, { error: 'AccessDeniedException' }]);
    expect(await step('createSecret')).toEqual({
      ok: false,
      error: 'createSecret: Secrets Manager PutSecretValue failed: AccessDeniedException',
    });
    expect(h.genesys.count('token')).toBe(1);
    expect(h.secrets.valueAt(TOKEN_SECRET, 'AWSPENDING')).toBeUndefined();
    expect(rotationLogs.at(-1)).toContain('PutSecretValue failed: AccessDeniedException');
    expect(rotationLogs.join('\n')).not.toContain('scripted');
    expect(rotationLogs.join('\n')).not.toContain('unexpected error');
  },
);

test('an event for another secret is refused before anything is read, written or minted', async () => {
  // Another rotating secret of the account, which a mistaken schedule (or someone allowed to invoke
  // the function) points at it: its value must stay as it is.
  h.secrets.put('payments/api-key', 'do-not-touch', { rotationEnabled: true });
  const version = h.secrets.beginRotation('payments/api-key');
  h.secrets.requests.length = 0;
  for (const Step of ROTATION_STEPS) {
    const outcome = await rotator.rotate({ SecretId: 'payments/api-key', ClientRequestToken: version, Step });
    expect(outcome).toEqual({
      ok: false,
      error: expect.stringMatching(
        new RegExp(
          /^refused: the event names another secret than the token secret this function rotates /.source +
            /\(GENESYS_TOKEN_SECRET_ID\)/.source,
        ),
      ),
    });
  }
  expect(h.secrets.requests).toEqual([]);
  expect(h.genesys.requests).toEqual([]);
  expect(h.secrets.valueAt('payments/api-key')).toBe('do-not-touch');
  expect(rotationLogs.at(-1)).toContain('"secretId":"payments/api-key"');
  // Without GENESYS_TOKEN_SECRET_ID it rotates nothing at all.
  const unnamed = createRotator(h.env, { logger: createLogger({ sink: () => undefined }) });
  expect(
    await unnamed.rotate({
      SecretId: TOKEN_SECRET,
      ClientRequestToken: h.secrets.beginRotation(TOKEN_SECRET),
      Step: 'createSecret',
    }),
  ).toEqual({
    ok: false,
    error: 'GENESYS_TOKEN_SECRET_ID is not set: the rotation rotates only the token secret it names',
  });
});

test('token mode flags with the token from the secret: no client secret read, no token minted', async () => {
  await rotateOnce();
  const readsBefore = credentialReads();
  const tokensBefore = h.genesys.count('token');
  const flagger = tokenFlagger();
  for (let i = 0; i < 5; i += 1) {
    const c = newConversation(h.genesys);
    expect((await flagger.flag({ ...c, compliance_checked: true }, invocation())).status).toBe('UPDATED');
  }
  expect(credentialReads()).toBe(readsBefore);
  expect(h.genesys.count('token')).toBe(tokensBefore);
  expect(
    h.secrets.requests.filter((r) => r.secretId === TOKEN_SECRET && r.operation === 'GetSecretValue').length,
  ).toBeGreaterThanOrEqual(1);
});

test('rotations racing with flags fail no flag', async () => {
  await rotateOnce();
  const flagger = tokenFlagger();
  const flags = Array.from({ length: 40 }, async (_, i) => {
    await new Promise((r) => setTimeout(r, i * 5));
    const c = newConversation(h.genesys);
    return (await flagger.flag({ ...c, compliance_checked: true }, invocation())).status;
  });
  const rotations = (async () => {
    for (let i = 0; i < 4; i += 1) await rotateOnce();
  })();
  const [statuses] = await Promise.all([Promise.all(flags), rotations]);
  expect(statuses.every((s) => s === 'UPDATED')).toBe(true);
  expect(h.genesys.count('token')).toBe(5); // one grant per rotation
});

test('a revoked token is re-read from the secret once; if rotation replaced it, the flag succeeds', async () => {
  await rotateOnce();
  const flagger = tokenFlagger();
  const c = newConversation(h.genesys);
  expect((await flagger.flag({ ...c, risk_level: '1' }, invocation())).status).toBe('UPDATED');

  h.genesys.revokeTokens();
  await rotateOnce(); // a fresh token in the secret
  h.genesys.requests.length = 0;
  const result = await flagger.flag({ ...c, risk_level: '2' }, invocation());
  expect(result).toMatchObject({ status: 'UPDATED', attempts: 2 });
  expect(h.genesys.requests.map((r) => `${r.route} ${r.status}`)).toEqual([
    'patch-attributes 401',
    'patch-attributes 202',
  ]);
});

test('a revoked token is re-read at once even inside the minimum refresh interval, and only once', async () => {
  await rotateOnce();
  const flagger = tokenFlagger({ SECRET_MIN_REFRESH_INTERVAL_MS: '600000' });
  const tokenReads = () =>
    h.secrets.requests.filter((r) => r.secretId === TOKEN_SECRET && r.operation === 'GetSecretValue').length;
  const c = newConversation(h.genesys);
  expect((await flagger.flag({ ...c, risk_level: '1' }, invocation())).status).toBe('UPDATED');

  h.genesys.revokeTokens();
  await rotateOnce();
  const readsBefore = tokenReads(); // the rotation's own reads of the pending version included
  h.genesys.requests.length = 0;
  // Several flags meet the revoked token at once: one re-read serves them all.
  const results = await Promise.all(
    [1, 2, 3, 4].map((n) => flagger.flag({ ...c, risk_level: String(n) }, invocation())),
  );
  expect(results.map((r) => r.status)).toEqual(['UPDATED', 'UPDATED', 'UPDATED', 'UPDATED']);
  expect(tokenReads()).toBe(readsBefore + 1);
  expect(h.genesys.requests.filter((r) => r.status === 401).length).toBeLessThanOrEqual(4);
});

test(
  'a passing 401 costs one retry of the same token and nothing after: ' + 'the next flags send one request each',
  async () => {
    await rotateOnce();
    const flagger = tokenFlagger({ SECRET_MIN_REFRESH_INTERVAL_MS: '600000' });
    const c = newConversation(h.genesys);
    expect((await flagger.flag({ ...c, risk_level: '1' }, invocation())).status).toBe('UPDATED');
    const tokenReads = () =>
      h.secrets.requests.filter((r) => r.secretId === TOKEN_SECRET && r.operation === 'GetSecretValue').length;
    const readsBefore = tokenReads();
    h.genesys.script('patch-attributes', [{ status: 401, code: 'bad.credentials' }]);
    h.genesys.requests.length = 0;
    const blip = await flagger.flag({ ...c, risk_level: '2' }, invocation());
    expect(blip).toMatchObject({ status: 'UPDATED', attempts: 2 });
    expect(h.genesys.requests.map((r) => `${r.route} ${r.status}`)).toEqual([
      'patch-attributes 401',
      'patch-attributes 202',
    ]);
    const [first, second] = h.genesys.requests;
    expect(second?.rawBody).toBe(first?.rawBody);
    expect(tokenReads()).toBe(readsBefore + 1); // the secret re-read once: it still held the same token
    // Nothing is remembered against the token: the next flags are one request each.
    h.genesys.requests.length = 0;
    for (const a of ['3', '4'])
      expect(await flagger.flag({ ...c, risk_level: a }, invocation())).toMatchObject({
        status: 'UPDATED',
        attempts: 1,
      });
    expect(h.genesys.requests.map((r) => r.status)).toEqual([202, 202]);
    expect(tokenReads()).toBe(readsBefore + 1);
  },
);

test(
  'a revoked token: refused twice, ' + 'then not sent again until the refusal memory passes, then one probe',
  async () => {
    await rotateOnce();
    const flagger = tokenFlagger({ SECRET_MIN_REFRESH_INTERVAL_MS: '400' });
    const c = newConversation(h.genesys);
    expect((await flagger.flag({ ...c, risk_level: '1' }, invocation())).status).toBe('UPDATED');
    h.genesys.revokeTokens();
    h.genesys.requests.length = 0;
    const result = await flagger.flag({ ...c, risk_level: '2' }, invocation());
    expect(result).toMatchObject({ status: 'AUTH_FAILED', attempts: 2, httpStatus: 401 });
    expect(result.message).toBe(
      'Genesys refused the token from the token secret again after re-reading the secret (401): ' +
        'is its rotation running?',
    );
    expect(h.genesys.requests.map((r) => `${r.route} ${r.status}`)).toEqual([
      'patch-attributes 401',
      'patch-attributes 401',
    ]);

    // Inside the memory: AUTH_FAILED without a request, and no forced read of the secret.
    const reads = h.secrets.requests.filter((r) => r.secretId === TOKEN_SECRET).length;
    const remembered = await flagger.flag({ ...c, risk_level: '3' }, invocation());
    expect(remembered).toMatchObject({
      status: 'AUTH_FAILED',
      attempts: 0,
      httpStatus: 401,
      message: expect.stringContaining('is its rotation running? It is tried again in 1 s'),
    });
    expect(h.secrets.requests.filter((r) => r.secretId === TOKEN_SECRET).length).toBe(reads);
    expect(h.genesys.requests).toHaveLength(2);

    // Past it: concurrent flags send one probe between them; still refused, so the memory starts again.
    await new Promise((resolve) => setTimeout(resolve, 450));
    const probes = await Promise.all(['4', '5', '6'].map((a) => flagger.flag({ ...c, risk_level: a }, invocation())));
    expect(probes.map((r) => r.status)).toEqual(['AUTH_FAILED', 'AUTH_FAILED', 'AUTH_FAILED']);
    expect(h.genesys.requests.slice(2).map((r) => `${r.route} ${r.status}`)).toEqual(['patch-attributes 401']);

    // Once the rotation puts a new token in the secret, the next flag uses it (the secret is re-read
    // at most once per SECRET_MIN_REFRESH_INTERVAL_MS while the old token is refused).
    await rotateOnce();
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(await flagger.flag({ ...c, risk_level: '7' }, invocation())).toMatchObject({
      status: 'UPDATED',
      attempts: 1,
    });
  },
);

test('an expired token in the secret is AUTH_FAILED at once, and nothing is sent', async () => {
  h.secrets.put(
    TOKEN_SECRET,
    JSON.stringify({ accessToken: 'old-token', expiresAt: '2026-01-01T00:00:00Z', environment: 'mypurecloud.com' }),
  );
  const result = await tokenFlagger().flag({ ...newConversation(h.genesys), risk_level: 'x' }, invocation());
  expect(result).toMatchObject({ status: 'AUTH_FAILED', attempts: 0 });
  expect(result.message).toContain('is its rotation running?');
  expect(h.genesys.requests).toHaveLength(0);
});

test('an unusable token secret is CONFIG_ERROR', async () => {
  h.secrets.put(TOKEN_SECRET, JSON.stringify({ accessToken: 'x' }));
  const result = await tokenFlagger().flag({ ...newConversation(h.genesys), risk_level: 'x' }, invocation());
  expect(result).toMatchObject({ status: 'CONFIG_ERROR', message: expect.stringContaining('lacks expiresAt') });
  h.secrets.put(
    TOKEN_SECRET,
    JSON.stringify({ accessToken: 'x', expiresAt: '2099-01-01T00:00:00Z', environment: 'evil.example' }),
  );
  const unknown = await tokenFlagger({ GENESYS_API_BASE_URL: '' }).flag(
    { ...newConversation(h.genesys), risk_level: 'x' },
    invocation(),
  );
  expect(unknown).toMatchObject({
    status: 'CONFIG_ERROR',
    message: expect.stringContaining('unknown Genesys environment'),
  });
  expect(h.genesys.requests).toHaveLength(0);
});

test('a token-secret refresh that Secrets Manager throttles keeps the token that is still valid', async () => {
  await rotateOnce();
  // A token close to its expiry: every flag looks at the secret again (rate-limited by the cache).
  const stored = JSON.parse(h.secrets.valueAt(TOKEN_SECRET) ?? '') as Record<string, string>;
  h.secrets.put(TOKEN_SECRET, JSON.stringify({ ...stored, expiresAt: new Date(Date.now() + 60_000).toISOString() }));
  const flagger = tokenFlagger({ SECRET_MIN_REFRESH_INTERVAL_MS: '50' });
  const tokenReads = () =>
    h.secrets.requests.filter((r) => r.secretId === TOKEN_SECRET && r.operation === 'GetSecretValue').length;
  expect((await flagger.flag({ ...newConversation(h.genesys), risk_level: '1' }, invocation())).status).toBe('UPDATED');

  h.secrets.script([{ error: 'ThrottlingException' }, { error: 'ThrottlingException' }]);
  const readsBefore = tokenReads();
  const statuses: string[] = [];
  for (let i = 0; i < 3; i += 1) {
    await new Promise((r) => setTimeout(r, 60)); // past the refresh interval: each flag reads again
    statuses.push((await flagger.flag({ ...newConversation(h.genesys), risk_level: String(i) }, invocation())).status);
  }
  expect(statuses).toEqual(['UPDATED', 'UPDATED', 'UPDATED']);
  expect(tokenReads()).toBe(readsBefore + 3); // two throttled, then one that succeeds
});
